// .dev.vars.example is also the list of variables `npm run dev` and the tests pass to the
// Worker: one the Worker reads but the file leaves out is silently dropped in local runs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { documentedVariables, ROOT, SCRIPT_ONLY } from "../../scripts/lib/local-config.mjs";

/** The keys of src/config.ts's variable schema (read as text: it is Worker code). */
function workerVariables(): string[] {
  const source = readFileSync(join(ROOT, "src/config.ts"), "utf8");
  const body = source.slice(source.indexOf("const schema = z.object({"));
  return [...body.slice(0, body.indexOf("\n});")).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map(
    (m) => m[1] as string,
  );
}

it(".dev.vars.example documents exactly the variables the Worker reads", () => {
  const forWorker = documentedVariables().filter((name) => !SCRIPT_ONLY.has(name ?? ""));
  expect(workerVariables().length).toBeGreaterThan(30);
  expect([...forWorker].sort()).toEqual(workerVariables().sort());
});
