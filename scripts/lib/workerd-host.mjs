// The bench's Workers in a process of their own: Miniflare runs the local Hyperdrive proxy and
// reads workerd's logs on its Node event loop, and sharing that loop with the load generator
// would put the generator's work on the app's path (and the app's on the generator's).
// Reads its options as JSON from argv[2]; prints one `ready <json>` line with the URLs; stops
// on SIGTERM.
import { waitForHttp } from "./net.mjs";
import { startPassThrough, startWorkerd } from "./workerd.mjs";

const { databaseUrl, vars, upstream, inspectorPort } = JSON.parse(process.argv[2]);
let log = "";
const app = await startWorkerd({
  databaseUrl,
  vars,
  inspectorPort,
  onLog: (line) => (log = `${log}${line.message}\n`.slice(-20_000)),
});
const bare = await startPassThrough(upstream);
try {
  await waitForHttp(`${app.url}/api/health`);
} catch (error) {
  console.error(`${error.message}\n${log}`);
  process.exit(1);
}
process.once("SIGTERM", async () => {
  await Promise.all([app.stop(), bare.stop()]);
  process.exit(0);
});
console.log(`ready ${JSON.stringify({ app: app.url, bare: bare.url })}`);
