// .dev.vars.example is also the list of variables `npm run dev` and the tests pass to the
// Worker: one the Worker reads but the file leaves out is silently dropped in local runs.
import { expect, it } from "vitest";
import { documentedVariables, SCRIPT_ONLY } from "../../scripts/lib/local-config.mjs";
import { CONFIG_VARIABLES } from "../../src/config";

it(".dev.vars.example documents exactly the variables the Worker reads", () => {
  const forWorker = documentedVariables().filter((name: string) => !SCRIPT_ONLY.has(name));
  expect([...forWorker].sort()).toEqual([...CONFIG_VARIABLES].sort());
});
