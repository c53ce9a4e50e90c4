// The Worker's JSON as the client reads it (see the OpenAPI document at /api/openapi.json).

export type Tier = "anon" | "free" | "pro";

export interface PublicConfig {
  sync: "electric" | "unavailable";
  sign_in: {
    anonymous: true;
    google: boolean;
    github: boolean;
    oidc: { name: string } | null;
  };
  providers: string[];
  models: { id: string; provider: string; min_tier: Tier }[];
  demo_model: boolean;
  python: { packages_url: string };
}

export interface Quota {
  window_start: string;
  reset_at: string;
  used_tokens: number;
  limit_tokens: number;
}

export interface Me {
  account_id: string;
  user_id: string | null;
  tier: Tier;
  is_anonymous: boolean;
  name: string | null;
  email: string | null;
  providers: string[];
  quota: Quota;
}

export interface SessionSummary {
  id: string;
  title: string;
  message_count: number;
  created_at: string;
  updated_at: string;
}

export type ToolCallStatus = "proposed" | "done" | "error" | "skipped";

export interface StoredToolCall {
  id: string;
  name: string;
  status: ToolCallStatus;
  position: number;
  arguments: string;
  proposed_code: string | null;
  executed_code: string | null;
  output: string | null;
  completed_at: string | null;
}

export interface StoredMessage {
  id: string;
  seq: number;
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  model: string | null;
  finish_reason: string | null;
  created_at: string;
  tool_calls: StoredToolCall[];
}
