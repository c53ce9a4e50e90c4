// The app shell: shows whether the service is reachable.
import { useEffect, useState } from "preact/hooks";

type Health = "checking" | "ok" | "unavailable";

export function App() {
  const [health, setHealth] = useState<Health>("checking");
  useEffect(() => {
    fetch("/api/health")
      .then((res) => setHealth(res.ok ? "ok" : "unavailable"))
      .catch(() => setHealth("unavailable"));
  }, []);
  return (
    <main>
      <h1>Gradual</h1>
      <p>Service: {health}</p>
    </main>
  );
}
