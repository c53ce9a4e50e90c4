// The app's own tables. Everything a user owns hangs off accounts.id (not Better Auth's
// user.id), and every synced table carries account_id so a shape's WHERE is one equality.
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const TIERS = ["anon", "free", "pro"] as const;
export type Tier = (typeof TIERS)[number];

export const accounts = pgTable(
  "accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tier: text("tier").$type<Tier>().notNull().default("anon"),
    createdAt,
    linkedAt: timestamp("linked_at", { withTimezone: true }),
    // Bumped by every reconcile; the clean-up job removes anonymous accounts idle too long.
    lastActiveAt: timestamp("last_active_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("accounts_tier_check", sql`${t.tier} in ('anon', 'free', 'pro')`),
    index("accounts_tier_last_active_idx").on(t.tier, t.lastActiveAt),
  ],
);

// When an anonymous account is merged into an existing one, a stream still in flight for the
// old id must settle into the survivor: reconcile follows this redirect.
export const accountMerges = pgTable("account_merges", {
  fromAccountId: uuid("from_account_id").primaryKey(),
  intoAccountId: uuid("into_account_id")
    .notNull()
    .references(() => accounts.id, { onDelete: "cascade" }),
  mergedAt: timestamp("merged_at", { withTimezone: true }).notNull().defaultNow(),
});

export const virtualKeys = pgTable(
  "virtual_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    // SHA-256 of the key, hex; the key itself is shown once and never stored.
    keyHash: text("key_hash").notNull().unique(),
    // The first characters of the key, so a person can tell their keys apart.
    prefix: text("prefix").notNull(),
    label: text("label").notNull().default(""),
    createdAt,
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("virtual_keys_account_id_idx").on(t.accountId)],
);

export const quotaBuckets = pgTable(
  "quota_buckets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    // Start of the UTC day this bucket meters; the window ends a day later.
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    limitTokens: integer("limit_tokens").notNull(),
    usedTokens: integer("used_tokens").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("quota_buckets_account_window_idx").on(t.accountId, t.windowStart),
    check("quota_buckets_used_nonnegative", sql`${t.usedTokens} >= 0`),
    check("quota_buckets_limit_nonnegative", sql`${t.limitTokens} >= 0`),
  ],
);

export const agentSessions = pgTable(
  "agent_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    title: text("title").notNull().default(""),
    // Next message sequence number is messageCount + 1; bumped atomically by reconcile.
    messageCount: integer("message_count").notNull().default(0),
    createdAt,
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("agent_sessions_account_updated_idx").on(t.accountId, t.updatedAt)],
);

export const MESSAGE_ROLES = ["system", "user", "assistant", "tool"] as const;

export const agentMessages = pgTable(
  "agent_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => agentSessions.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    role: text("role").$type<(typeof MESSAGE_ROLES)[number]>().notNull(),
    content: text("content").notNull().default(""),
    model: text("model"),
    // stop, length, tool_calls, or aborted / error when the stream did not finish.
    finishReason: text("finish_reason"),
    createdAt,
  },
  (t) => [
    uniqueIndex("agent_messages_session_seq_idx").on(t.sessionId, t.seq),
    index("agent_messages_account_id_idx").on(t.accountId),
    check("agent_messages_role_check", sql`${t.role} in ('system', 'user', 'assistant', 'tool')`),
  ],
);

export const TOOL_CALL_STATUSES = ["proposed", "done", "error", "skipped"] as const;
export type ToolCallStatus = (typeof TOOL_CALL_STATUSES)[number];

export const agentToolCalls = pgTable(
  "agent_tool_calls",
  {
    // The id the model and the browser see (call_…), minted by the gateway so it is unique.
    id: text("id").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => agentSessions.id, { onDelete: "cascade" }),
    messageId: uuid("message_id")
      .notNull()
      .references(() => agentMessages.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    name: text("name").notNull(),
    arguments: text("arguments").notNull().default(""),
    proposedCode: text("proposed_code"),
    executedCode: text("executed_code"),
    status: text("status").$type<ToolCallStatus>().notNull().default("proposed"),
    output: text("output"),
    createdAt,
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (t) => [
    index("agent_tool_calls_session_id_idx").on(t.sessionId),
    index("agent_tool_calls_account_id_idx").on(t.accountId),
    check(
      "agent_tool_calls_status_check",
      sql`${t.status} in ('proposed', 'done', 'error', 'skipped')`,
    ),
  ],
);

// A reservation taken but not yet settled, written by the reserving statement and removed by the
// settling one: the scheduled sweep finds streams that never settled here.
export const openReservations = pgTable(
  "open_reservations",
  {
    id: uuid("id").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /**
     * Whose AccountAgent holds the reservation's record: the account it was taken for. A merge
     * moves `account_id` to the survivor and leaves this, so the sweep asks the agent that
     * knows the stream. No foreign key: that account may be gone. Null only for reservations
     * a Worker older than this column took (their own `account_id`).
     */
    agentAccountId: uuid("agent_account_id"),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    reservedTokens: integer("reserved_tokens").notNull(),
    createdAt,
  },
  (t) => [index("open_reservations_created_idx").on(t.createdAt)],
);

export const USAGE_STATUSES = [
  "ok",
  "aborted",
  "upstream_error",
  "timeout",
  "storage_error",
  "settled_by_alarm",
  "settled_by_sweep",
] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

export const adminAudit = pgTable(
  "admin_audit",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    // The admin's Better Auth user id and email at the time (users can be deleted later).
    actorUserId: text("actor_user_id").notNull(),
    actorEmail: text("actor_email").notNull(),
    action: text("action").notNull(),
    targetAccountId: uuid("target_account_id"),
    targetId: text("target_id").notNull(),
    before: jsonb("before"),
    after: jsonb("after"),
    createdAt,
  },
  (t) => [index("admin_audit_created_idx").on(t.createdAt)],
);

export const usageLog = pgTable(
  "usage_log",
  {
    // The reservation id minted by the AccountAgent: settling twice is a no-op.
    id: uuid("id").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id").references(() => agentSessions.id, { onDelete: "set null" }),
    requestId: text("request_id"),
    model: text("model").notNull(),
    provider: text("provider").notNull(),
    estimatedTokens: integer("estimated_tokens").notNull(),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    actualTokens: integer("actual_tokens").notNull().default(0),
    debitedTokens: integer("debited_tokens").notNull().default(0),
    status: text("status").$type<UsageStatus>().notNull(),
    latencyMs: integer("latency_ms"),
    createdAt,
  },
  (t) => [
    index("usage_log_account_created_idx").on(t.accountId, t.createdAt),
    index("usage_log_created_idx").on(t.createdAt),
  ],
);
