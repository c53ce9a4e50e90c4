// The shapes the browser may sync, defined here and nowhere else: the table, the columns it may
// see (always including the primary key), and whether it may narrow to one session. The WHERE
// is always `account_id = $1` with the caller's account, whatever the request says.
export const SHAPES = {
  quota_buckets: {
    columns: ["id", "account_id", "window_start", "limit_tokens", "used_tokens", "updated_at"],
    bySession: false,
  },
  agent_sessions: {
    columns: ["id", "account_id", "title", "message_count", "created_at", "updated_at"],
    bySession: false,
  },
  agent_messages: {
    columns: [
      "id",
      "account_id",
      "session_id",
      "seq",
      "role",
      "content",
      "model",
      "finish_reason",
      "created_at",
    ],
    bySession: true,
  },
  agent_tool_calls: {
    columns: [
      "id",
      "account_id",
      "session_id",
      "message_id",
      "position",
      "name",
      "arguments",
      "proposed_code",
      "executed_code",
      "status",
      "output",
      "created_at",
      "completed_at",
    ],
    bySession: true,
  },
} as const;

export type ShapeName = keyof typeof SHAPES;

export function isShape(name: string): name is ShapeName {
  return Object.hasOwn(SHAPES, name);
}

/** The server-side shape definition for one caller (and optionally one of their sessions). */
export function shapeParams(table: ShapeName, accountId: string, sessionId?: string) {
  const shape = SHAPES[table];
  const params: Record<string, string> = {
    table,
    columns: shape.columns.join(","),
    replica: "default",
    "params[1]": accountId,
    where: "account_id = $1",
  };
  if (shape.bySession && sessionId) {
    params.where = "account_id = $1 and session_id = $2";
    params["params[2]"] = sessionId;
  }
  return params;
}
