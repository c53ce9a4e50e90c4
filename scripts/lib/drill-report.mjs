// The fault drill's verdict: the checks, each yes or no, and the summary table they are read
// from (requests, faults, responses by status, how the streams ended, recovery per outage).
import { fmt } from "./drill-faults.mjs";

/** Ends after which the app promises the turn is recorded (docs/gateway.md). */
const PROMISED = new Set(["done", "error_event", "client_abort"]);

/** Whether a response fell wholly inside an outage: asked and answered while Postgres was gone. */
const insideOutage = (r, outages) =>
  outages.find(
    (o) => r.started >= o.stopped && (r.answered ?? r.ended ?? Infinity) <= o.restarting,
  );

/**
 * @param {{ records: import("./drill-load.mjs").TurnRecord[],
 *   outages: { down: number, stopped: number, restarting: number, up: number }[],
 *   books: Awaited<ReturnType<typeof import("./drill-books.mjs").readBooks>>,
 *   settling: Awaited<ReturnType<typeof import("./drill-books.mjs").settleLeftovers>> }} run
 */
export function judge({ records, outages, books, settling }) {
  const during = records.filter((r) => insideOutage(r, outages));
  const notUnavailable = during.filter((r) => r.status !== 503);
  const lost = books.turns.filter((t) => PROMISED.has(t.record.end) && !t.recorded);
  const broken = records.filter((r) => r.end === "truncated" || r.end === "hung");
  // Settled once each: a 200 has one usage row; a refusal has none that charges.
  const unsettled = records.filter((r) =>
    r.status === 200
      ? books.usage(r).length !== 1
      : r.status !== null && books.usage(r).some((u) => u.debited_tokens > 0),
  );
  const recovery = outages.map((o) => {
    const first = (via) =>
      records.find(
        (r) => r.started >= o.up && r.status === 200 && (via === undefined || r.via === via),
      );
    const after = (r) => (r ? Math.round(r.answered - o.up) : null);
    return {
      outage: o,
      any: after(first()),
      session: after(first("session")),
      key: after(first("key")),
    };
  });
  const checks = [
    [
      `books balanced (used_tokens = sum of debits, ${books.accounts} accounts)`,
      !books.unbalanced.length,
    ],
    ["no reservation left open", books.open === 0 && settling.cron.startsWith("200")],
    [
      `every 200 settled once, no refusal charged: ${unsettled.length} otherwise`,
      unsettled.length === 0,
    ],
    [`no lost turns (answered 200, not recorded): ${lost.length}`, lost.length === 0],
    [
      `only 503 while the database was down: ${during.length - notUnavailable.length} of ${during.length}`,
      notUnavailable.length === 0,
    ],
    [
      `every stream ended with [DONE], an error event or a break: ${broken.length} did not`,
      broken.length === 0,
    ],
    ["the app answered 200 again after every outage", recovery.every((r) => r.any !== null)],
  ];
  // Outside the outages, any answer but 200, 503 (a reset agent) and the 502/504 that say the
  // model failed before its answer (nothing charged, which the checks verify): a 500 is a bug.
  const findings = records.filter(
    (r) => !during.includes(r) && r.status !== null && ![200, 502, 503, 504].includes(r.status),
  );
  checks.push([
    `no 500 or other unexpected answer outside the outages: ${findings.length}`,
    findings.length === 0,
  ]);
  const upstream = records.filter((r) => r.status === 502 || r.status === 504);
  return { during, notUnavailable, lost, broken, unsettled, recovery, checks, findings, upstream };
}

/** Prints the summary; returns whether every check passed. */
export function printSummary({ header, injected, records, books, settling, verdict, print }) {
  const line = (...cells) => print(cells.join(""));
  const col = (value, width) => String(value).padStart(width);
  print(`\n${header}\n`);

  print("Faults injected (drill clock)");
  for (const f of injected) line("  ", f.kind.padEnd(11), col(fmt(f.at), 9), "  ", f.note);

  const via = (v) => records.filter((r) => r.via === v).length;
  print(`\nRequests: ${records.length} (session ${via("session")}, key ${via("key")})`);
  const statusOf = (r) => (r.status === null ? `none (${r.end})` : String(r.status));
  const keys = [...new Set(records.map(statusOf))].sort();
  const count = (list, key) => list.filter((r) => statusOf(r) === key).length;
  line(
    "  status".padEnd(22),
    col("all", 7),
    col("session", 9),
    col("key", 7),
    col("in outage", 11),
  );
  const bySession = records.filter((r) => r.via === "session");
  const byKey = records.filter((r) => r.via === "key");
  for (const key of keys) {
    line(
      `  ${key}`.padEnd(22),
      col(count(records, key), 7),
      col(count(bySession, key), 9),
      col(count(byKey, key), 7),
      col(count(verdict.during, key), 11),
    );
  }

  const answered = records.filter((r) => r.status === 200);
  const ends = tally(
    answered.map((r) => (r.end === "error_event" ? `error event ${r.detail}` : r.end)),
  );
  print(`\n200 answers by how they ended: ${ends}`);
  const cut = books.turns.filter((t) => !PROMISED.has(t.record.end));
  if (cut.length) {
    const kept = cut.filter((t) => t.recorded).length;
    const seen = cut.reduce((n, t) => n + t.record.chunks, 0);
    const charged = cut.flatMap((t) => books.usage(t.record));
    const sum = (key) => charged.reduce((n, u) => n + u[key], 0);
    print(
      `  broken off mid-stream (the reset): ${cut.length}, recorded ${kept}; their callers got ` +
        `${seen} text chunks, and ${sum("completion_tokens")} completion tokens were settled ` +
        `(${sum("debited_tokens")} debited, ${tally(charged.map((u) => u.status))})`,
    );
  }
  print(`Usage rows by status: ${books.statuses.map((u) => `${u.status} ${u.n}`).join(", ")}`);
  print(
    `Open reservations: ${settling.afterLoad} after the load, ${settling.beforeSweep} before the ` +
      `sweep, ${settling.afterSweep} after it (cron: ${settling.cron}), ${books.open} at the end`,
  );

  print("\nRecovery (database accepting again → first 200 of a request sent after)");
  for (const [i, r] of verdict.recovery.entries()) {
    const ms = (v) => (v === null ? "none" : `${v} ms`);
    line(
      `  outage ${i + 1}: down ${fmt(r.outage.down)}–${fmt(r.outage.up)}: `,
      `${ms(r.any)} (session path ${ms(r.session)}, key path ${ms(r.key)})`,
    );
  }

  print("\nChecks");
  for (const [label, ok] of verdict.checks) line("  ", label.padEnd(72), ok ? "yes" : "NO");

  const failing = [...verdict.notUnavailable, ...verdict.broken];
  if (failing.length) {
    print("\nFailing responses (route, status, body; × count)");
    print(groups(failing, statusOf));
  }
  if (verdict.findings.length || verdict.upstream.length) print("\nFindings");
  if (verdict.findings.length) {
    print(
      "  outside the outages, answers but 200, 503, 502 and 504 (route, status, body; × count):",
    );
    print(groups(verdict.findings, statusOf));
  }
  if (verdict.upstream.length) {
    const unasked = verdict.upstream.filter((r) => !r.fault);
    print(
      `  the model unreachable before its answer (502/504, nothing charged): ` +
        `${verdict.upstream.length}, ${unasked.length} of them on turns the drill did not fault:`,
    );
    print(groups(verdict.upstream, statusOf));
  }
  if (verdict.unsettled.length) {
    print("\nNot settled once (turn, route, status, usage rows)");
    for (const r of verdict.unsettled.slice(0, 20))
      print(`  ${r.requestId} ${r.route} ${r.status} ${JSON.stringify(books.usage(r))}`);
  }
  if (verdict.lost.length) {
    print("\nLost turns (turn, route, session, end)");
    for (const { record: r } of verdict.lost.slice(0, 20))
      print(
        `  ${r.requestId} ${r.route} session ${r.sessionId} ended ${r.end}, usage ` +
          JSON.stringify(books.usage(r).map((u) => u.status)),
      );
  }
  return verdict.checks.every(([, ok]) => ok);
}

/** Responses grouped by route, status and body, one line each. */
function groups(records, statusOf) {
  const lines = tally(
    records.map((r) =>
      [r.route, statusOf(r), r.detail, r.logged && `(logged: ${r.logged})`]
        .filter(Boolean)
        .join(" "),
    ),
    "\n",
  );
  return lines
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

/** "a 3, b 1", most frequent first. */
function tally(values, separator = ", ") {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${v} × ${n}`)
    .join(separator);
}
