// The audit trail, newest first: who changed what on this page, and from what to what.
import { RestartIcon } from "../components/icons";
import type { AuditEntry, Page } from "./api";
import { Empty, Loaded } from "./states";
import { ShortId, TableWrap, When } from "./table";
import { useResource } from "./use-resource";

const ISO_TIME = /^\d{4}-\d\d-\d\dT/;

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return value.toLocaleString();
  if (typeof value !== "string") return JSON.stringify(value);
  return ISO_TIME.test(value)
    ? new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })
    : value;
}

/** "limit_tokens: 20000 → 5000" for each field that an action's before and after name. */
function changes(before: unknown, after: unknown): string[] {
  const fields = (v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  const b = fields(before);
  const a = fields(after);
  if (!b || !a) return [`${show(before)} → ${show(after)}`];
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.map((k) => `${k}: ${show(b[k])} → ${show(a[k])}`);
}

export function AuditTab() {
  const [entries, reload] = useResource<Page<AuditEntry>>("/api/admin/audit");
  return (
    <>
      <div class="admin-panel-head">
        <p class="admin-lead">Every change made on this page, newest first.</p>
        <button type="button" class="button button-small" onClick={reload}>
          <RestartIcon />
          Refresh
        </button>
      </div>
      <Loaded
        resource={entries}
        reload={reload}
        label="Loading the audit trail…"
        failed="The audit trail could not be loaded."
      >
        {({ data }) =>
          data.length === 0 ? (
            <Empty title="No admin actions yet">
              Tier changes, new limits and revoked keys are recorded here.
            </Empty>
          ) : (
            <TableWrap label="Audit trail">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Who</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Change</th>
                </tr>
              </thead>
              <tbody>
                {data.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <When iso={e.created_at} />
                    </td>
                    <td>{e.actor_email}</td>
                    <td>
                      <code class="chip">{e.action}</code>
                    </td>
                    <td>
                      <ShortId id={e.target_id} />
                      {e.target_account_id && e.target_account_id !== e.target_id && (
                        <span class="admin-muted">
                          {" "}
                          of account <ShortId id={e.target_account_id} />
                        </span>
                      )}
                    </td>
                    <td>
                      <ul class="admin-changes">
                        {changes(e.before, e.after).map((c) => (
                          <li key={c}>
                            <code>{c}</code>
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )
        }
      </Loaded>
    </>
  );
}
