// The app shell (the chat UI comes with the client work): whether the service is up, which
// models it offers, and a clear label when the model is the scripted demo.
import { useEffect, useState } from "preact/hooks";

type Health = "checking" | "ok" | "unavailable";

interface PublicConfig {
  sync: "electric" | "unavailable";
  models: { id: string }[];
  demo_model: boolean;
}

export function App() {
  const [health, setHealth] = useState<Health>("checking");
  const [config, setConfig] = useState<PublicConfig | null>(null);
  useEffect(() => {
    fetch("/api/health")
      .then((res) => setHealth(res.ok ? "ok" : "unavailable"))
      .catch(() => setHealth("unavailable"));
    fetch("/api/config")
      .then((res) => (res.ok ? res.json() : null))
      .then(setConfig)
      .catch(() => setConfig(null));
  }, []);
  return (
    <main>
      <h1>Gradual</h1>
      <p>Service: {health}</p>
      {config?.demo_model && (
        <p role="note">
          <strong>Scripted demo model</strong>: no model provider is configured, so answers are
          canned. Set a provider key for real answers.
        </p>
      )}
      {config && <p>Models: {config.models.map((m) => m.id).join(", ") || "none"}</p>}
    </main>
  );
}
