// The whole Postgres schema, for drizzle-kit (migrations) and the typed query client.
export * from "./app-schema";
export * from "./auth-schema";
