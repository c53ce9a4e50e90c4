// `npm run dev` on a free port over a given database, for the scripts that drive the page in a
// browser (the bench's page figures, the README's screenshots).
import { join } from "node:path";
import { ROOT } from "./local-config.mjs";
import { freePort, waitForHttp } from "./net.mjs";
import { start, waitForOutput } from "./process.mjs";

/** @param {string} databaseUrl @param {Record<string, string>} [env] */
export async function startDevServer(databaseUrl, env = {}) {
  const port = await freePort();
  const server = start(process.execPath, [join(ROOT, "scripts/dev.mjs")], {
    ...process.env,
    // The scripted demo answers: no provider key from the machine's environment.
    OPENAI_API_KEY: "",
    ANTHROPIC_API_KEY: "",
    OPENROUTER_API_KEY: "",
    ...env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/api/health`, {
      timeoutMs: 120_000,
      isAlive: () => server.child.exitCode === null,
    });
    await waitForOutput(server, /Ready on/);
  } catch (error) {
    await server.stop();
    throw new Error(`${error.message}\n${server.output()}`);
  }
  return { base, stop: server.stop };
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];
