// The bench's peer: Portkey's open-source AI gateway (@portkey-ai/gateway, its Node build), on
// loopback, routing to the scripted model with its x-portkey-custom-host header. It needs a
// preload to run on Node at all (scripts/lib/portkey-preload.mjs says why). It meters nothing
// and keeps no books: it is what a gateway that only translates and passes on costs.
import { join } from "node:path";
import { ROOT } from "./local-config.mjs";
import { freePort, waitForHttp } from "./net.mjs";
import { start } from "./process.mjs";

export async function startPortkey() {
  const port = await freePort();
  const server = start(
    process.execPath,
    [
      "--import",
      join(ROOT, "scripts/lib/portkey-preload.mjs"),
      join(ROOT, "node_modules/@portkey-ai/gateway/build/start-server.js"),
      `--port=${port}`,
      // No log page, no start-up banner.
      "--headless",
    ],
    process.env,
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(url, { timeoutMs: 30_000, isAlive: () => server.child.exitCode === null });
  } catch (error) {
    await server.stop();
    throw new Error(`${error.message}\n${server.output()}`);
  }
  return {
    url,
    pid: server.child.pid,
    stop: server.stop,
    /** Headers that send a request through it to the OpenAI-compatible server at `base`. */
    headersFor: (base) => ({ "x-portkey-provider": "openai", "x-portkey-custom-host": base }),
  };
}
