// The fault drill's faults, each injected from outside the Worker under test: Postgres crashed
// and restarted; the scripted model cutting and stalling streams (directives on the load's
// requests); every Durable Object reset mid-stream; a burst of clients hanging up mid-stream.
// Each fault is logged as it happens, with its time on the drill's clock.

/**
 * The Durable Object reset. A Worker beside the app in the same workerd, never part of the app
 * or reachable through it, calls workerd's own `abortAllDurableObjects()` (the `workerd:unsafe`
 * module, which the vitest pool's `abortAllDurableObjects` also uses): every AccountAgent
 * instance is dropped at once, its in-flight requests fail and its streams break, as when the
 * machine hosting them restarts; storage and alarms survive. The per-object tools do not reset
 * mid-stream: Miniflare's `unsafeEvictDurableObject` is graceful (it waits for the object's
 * requests and times out on a stream, holding it meanwhile), and `ctx.abort()` only runs inside
 * the object, which would mean wrapping the class under test.
 */
export const RESET_WORKER = {
  name: "drill-faults",
  modules: true,
  compatibilityDate: "2026-11-01",
  compatibilityFlags: ["unsafe_module"],
  script: `import unsafe from "workerd:unsafe";
    export default {
      async fetch(request) {
        if (new URL(request.url).pathname !== "/reset-durable-objects")
          return new Response("not found", { status: 404 });
        await unsafe.abortAllDurableObjects();
        return new Response("reset");
      },
    };`,
};

/**
 * Runs the plan's faults against the load; resolves when the last has ended.
 * @param {{ plan: ReturnType<typeof import("./drill-plan.mjs").schedule>,
 *   rng: ReturnType<typeof import("./drill-plan.mjs").random>,
 *   cluster: { crash(): Promise<void>, restart(): Promise<void> },
 *   load: import("./drill-load.mjs").Load, resetUrl: string, clock: () => number,
 *   log: (line: string) => void }} options
 */
export function injectFaults({ plan, rng, cluster, load, resetUrl, clock, log }) {
  /** @type {{ kind: string, at: number, until: number, note: string }[]} */
  const injected = [];
  /** The database's outages: down from `down` (crash issued) until `up` (accepting again). */
  const outages = [];
  const note = (kind, at, until, text) => {
    injected.push({ kind, at, until, note: text });
    log(`${fmt(at)}  ${kind}: ${text}`);
  };
  const inject = {
    async outage(fault) {
      const down = clock();
      const outage = { down, stopped: null, restarting: null, up: null };
      outages.push(outage);
      await cluster.crash();
      outage.stopped = clock();
      await sleep(fault.ms - (clock() - down));
      outage.restarting = clock();
      await cluster.restart();
      outage.up = clock();
      note(
        "outage",
        down,
        outage.up,
        `Postgres stopped (pg_ctl stop -m immediate) at ${fmt(down)}, restarted at ` +
          `${fmt(outage.restarting)}, accepting at ${fmt(outage.up)}`,
      );
    },
    async model(fault) {
      const at = clock();
      load.modelFaultUntil = at + fault.ms;
      await sleep(fault.ms);
      const faulted = load.records.filter((r) => r.fault && r.started >= at);
      const cuts = faulted.filter((r) => r.fault === "cut").length;
      note(
        "model",
        at,
        clock(),
        `${fault.ms} ms window: ${cuts} streams cut mid-stream, ${faulted.length - cuts} stalled`,
      );
    },
    async reset() {
      const at = clock();
      const streaming = load.streaming;
      const res = await fetch(`${resetUrl}/reset-durable-objects`, { method: "POST" });
      if (!res.ok) throw new Error(`reset failed: ${res.status} ${await res.text()}`);
      note("reset", at, clock(), `every AccountAgent reset, ${streaming} turns under way`);
    },
    async disconnect() {
      const at = clock();
      const count = load.disconnectBurst(rng);
      note("disconnect", at, at, `${count} clients hung up mid-stream`);
    },
  };
  const runs = plan.map(async (fault) => {
    await sleep(fault.at - clock());
    await inject[fault.kind](fault);
  });
  return {
    injected,
    outages,
    done: Promise.all(runs),
    /** Whether the database stayed up from `from` to `to`. */
    calm: (from, to) => outages.every((o) => to < o.down || (o.up !== null && from > o.up)),
  };
}

export const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
