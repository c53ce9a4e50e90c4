// The fault drill's short run (`npm run drill -- --short`): about 15 s of streamed turns while
// Postgres crashes and comes back, the model cuts and stalls streams, every Durable Object is
// reset and clients hang up mid-stream; afterwards the books balance, nothing is left open and
// no answered turn is lost. Its own PostgreSQL cluster (it crashes it), never the suite's.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/local-config.mjs";
import { cleanEnv, run } from "./support";

describe("npm run drill -- --short", () => {
  it("keeps the books through an outage, model faults, a Durable Object reset and clients leaving", async () => {
    const { code, output } = await run(
      process.execPath,
      [join(ROOT, "scripts/drill.mjs"), "--short"],
      cleanEnv(),
    );
    // The whole output on failure: its summary says which check failed, and the seed repeats it.
    expect(output, output).toMatch(/books balanced .* yes/);
    expect(output, output).toMatch(/no reservation left open .* yes/);
    expect(output, output).toMatch(/no lost turns .*: 0 .* yes/);
    expect(output, output).toMatch(/outage 1: down/);
    expect(code, output).toBe(0);
  }, 90_000);
});
