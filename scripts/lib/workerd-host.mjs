// The bench's and the drill's Workers in a process of their own: Miniflare runs the local
// Hyperdrive proxy and reads workerd's logs on its Node event loop, and sharing that loop with
// the load generator would put the generator's work on the app's path (and the app's on the
// generator's). Reads startWorkersApart's options as JSON from argv[2]; prints one
// `ready <json>` line with the URLs (then, with `printLogs`, the Workers' log lines); stops on
// SIGTERM. With `floorsOnly`, only the bench's floors run here.
import { waitForHttp } from "./net.mjs";
import { startPassThrough, startWorkerd } from "./workerd.mjs";

const { upstream, printLogs, floorsOnly, ...options } = JSON.parse(process.argv[2]);
let log = "";
let ready = false;
const app = floorsOnly
  ? null
  : await startWorkerd({
      ...options,
      onLog: (line) => {
        if (ready && printLogs) console.log(line.message);
        else log = `${log}${line.message}\n`.slice(-20_000);
      },
    });
// The floors the bench measures the app against; only the bench names an upstream.
const bare = upstream ? await startPassThrough(upstream) : null;
try {
  if (app) await waitForHttp(`${app.url}/api/health`);
} catch (error) {
  console.error(`${error.message}\n${log}`);
  process.exit(1);
}
process.once("SIGTERM", async () => {
  await Promise.all([app?.stop(), bare?.stop()]);
  process.exit(0);
});
const urls = {
  ...(app && { app: app.url, entry: app.entry, ...app.urls }),
  ...(bare && { bare: bare.url }),
};
console.log(`ready ${JSON.stringify(urls)}`);
ready = true;
