// Local configuration for dev, migrations and tests: .dev.vars, overridden by the process
// environment, limited to the variables .dev.vars.example documents.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";

export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

function readEnvFile(path) {
  return existsSync(path) ? parseEnv(readFileSync(path, "utf8")) : {};
}

/** The documented variable names, in the order .dev.vars.example lists them. */
export function documentedVariables() {
  const text = readFileSync(join(ROOT, ".dev.vars.example"), "utf8");
  return [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
}

/** .dev.vars values with the process environment winning, for every documented variable. */
export function loadLocalConfig(env = process.env) {
  const file = readEnvFile(join(ROOT, ".dev.vars"));
  const config = {};
  for (const name of documentedVariables()) {
    const value = env[name] ?? file[name];
    if (value !== undefined && value !== "") config[name] = value;
  }
  return config;
}

/** Variables the scripts consume themselves; the Worker never sees them. */
export const SCRIPT_ONLY = new Set([
  "DATABASE_URL",
  "PORT",
  "HOST",
  "PG_DIR",
  "PGLITE_DIR",
  "DEV_DATABASE",
  "DEV_STACK",
]);

/** A dotenv value that reads back unchanged (dotenv takes quoted values literally). */
function quote(value) {
  if (value.includes("\n")) throw new Error("multi-line values are not supported in .dev.vars");
  for (const q of ["'", '"', "`"]) if (!value.includes(q)) return `${q}${value}${q}`;
  throw new Error("a value may not contain all three quote characters");
}

/** KEY=VALUE lines for wrangler's --env-file. */
export function toEnvFile(vars) {
  return Object.entries(vars)
    .map(([key, value]) => `${key}=${quote(String(value))}`)
    .join("\n")
    .concat("\n");
}
