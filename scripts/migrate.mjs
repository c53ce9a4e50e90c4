// `npm run db:migrate`: applies migrations/ to DATABASE_URL (environment, then .dev.vars).
// Safe to run again: migrations already applied are skipped.
import { loadLocalConfig } from "./lib/local-config.mjs";
import { applyMigrations } from "./lib/postgres.mjs";

const { DATABASE_URL } = loadLocalConfig();
if (!DATABASE_URL) {
  console.error("db:migrate: set DATABASE_URL (environment or .dev.vars)");
  process.exit(1);
}
try {
  await applyMigrations(DATABASE_URL);
  console.log("db:migrate: schema is up to date");
} catch (error) {
  console.error(`db:migrate: ${error.message}`);
  process.exit(1);
}
