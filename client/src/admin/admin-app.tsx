// The admin page at /admin: staff see accounts (tier editable), one account's buckets and keys,
// the usage log and the audit trail. Everything comes from /api/admin, which enforces access.
import { useCallback, useEffect, useState } from "preact/hooks";
import { AccountDetail } from "./account-detail";
import { type Account, ApiError, type AuditEntry, api, type Page, type Usage } from "./api";

type Access = "checking" | "signed-out" | "forbidden" | "admin";
type Tab = "accounts" | "usage" | "audit";

export function AdminApp() {
  const [access, setAccess] = useState<Access>("checking");
  const [tab, setTab] = useState<Tab>("accounts");
  const [error, setError] = useState<string | null>(null);
  const onError = useCallback(
    (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    [],
  );

  useEffect(() => {
    api("/api/admin/me").then(
      () => setAccess("admin"),
      (e) => setAccess(e instanceof ApiError && e.status === 403 ? "forbidden" : "signed-out"),
    );
  }, []);

  if (access === "checking") return <p>Checking access…</p>;
  if (access === "signed-out") return <p>Sign in with a staff account to use the admin page.</p>;
  if (access === "forbidden") return <p>This account is not on the staff list.</p>;
  return (
    <main>
      <h1>Gradual admin</h1>
      <nav>
        {(["accounts", "usage", "audit"] as const).map((t) => (
          <button type="button" key={t} disabled={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      {error && <p role="alert">{error}</p>}
      {tab === "accounts" && <Accounts onError={onError} />}
      {tab === "usage" && <UsageLog onError={onError} />}
      {tab === "audit" && <Audit onError={onError} />}
    </main>
  );
}

function Accounts({ onError }: { onError: (e: unknown) => void }) {
  const [rows, setRows] = useState<Account[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const load = useCallback(
    () => api<Page<Account>>("/api/admin/accounts").then((p) => setRows(p.data), onError),
    [onError],
  );
  useEffect(() => void load(), [load]);
  const setTier = (id: string, tier: string) =>
    api(`/api/admin/accounts/${id}/tier`, { method: "POST", body: { tier } }).then(load, onError);
  return (
    <table>
      <thead>
        <tr>
          <th>account</th>
          <th>tier</th>
          <th>linked</th>
          <th>today</th>
          <th>created</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => [
          <tr key={a.id}>
            <td>
              <button type="button" onClick={() => setOpen(open === a.id ? null : a.id)}>
                {a.emails[0] ?? a.id.slice(0, 8)}
              </button>
            </td>
            <td>
              <select value={a.tier} onChange={(e) => setTier(a.id, e.currentTarget.value)}>
                <option value="anon">anon</option>
                <option value="free">free</option>
                <option value="pro">pro</option>
              </select>
            </td>
            <td>{a.providers.join(", ") || "—"}</td>
            <td>{a.today ? `${a.today.used_tokens} / ${a.today.limit_tokens}` : "—"}</td>
            <td>{a.created_at.slice(0, 10)}</td>
          </tr>,
          open === a.id && (
            <tr key={`${a.id}-detail`}>
              <td colSpan={5}>
                <AccountDetail accountId={a.id} onError={onError} />
              </td>
            </tr>
          ),
        ])}
      </tbody>
    </table>
  );
}

function UsageLog({ onError }: { onError: (e: unknown) => void }) {
  const [rows, setRows] = useState<Usage[]>([]);
  const [filter, setFilter] = useState({ account_id: "", model: "", status: "" });
  const load = (before?: string) => {
    const query = new URLSearchParams(
      Object.entries({ ...filter, before: before ?? "" }).filter(([, v]) => v),
    );
    api<Page<Usage>>(`/api/admin/usage?${query}`).then(
      (p) => setRows(before ? [...rows, ...p.data] : p.data),
      onError,
    );
  };
  // Load once; the filters apply when the form is submitted.
  useEffect(() => load(), []);
  return (
    <section>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        {(["account_id", "model", "status"] as const).map((f) => (
          <input
            key={f}
            placeholder={f}
            value={filter[f]}
            onInput={(e) => setFilter({ ...filter, [f]: e.currentTarget.value })}
          />
        ))}
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead>
          <tr>
            <th>when</th>
            <th>account</th>
            <th>model</th>
            <th>status</th>
            <th>estimated</th>
            <th>debited</th>
            <th>ms</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <tr key={u.id}>
              <td>{u.created_at.slice(0, 19)}</td>
              <td>{u.account_id.slice(0, 8)}</td>
              <td>{u.model}</td>
              <td>{u.status}</td>
              <td>{u.estimated_tokens}</td>
              <td>{u.debited_tokens}</td>
              <td>{u.latency_ms ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > 0 && (
        <button type="button" onClick={() => load(rows.at(-1)?.created_at)}>
          Older
        </button>
      )}
    </section>
  );
}

function Audit({ onError }: { onError: (e: unknown) => void }) {
  const [rows, setRows] = useState<AuditEntry[]>([]);
  useEffect(
    () => void api<Page<AuditEntry>>("/api/admin/audit").then((p) => setRows(p.data), onError),
    [onError],
  );
  return (
    <table>
      <thead>
        <tr>
          <th>when</th>
          <th>who</th>
          <th>action</th>
          <th>target</th>
          <th>before → after</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.id}>
            <td>{a.created_at.slice(0, 19)}</td>
            <td>{a.actor_email}</td>
            <td>{a.action}</td>
            <td>{a.target_id.slice(0, 8)}</td>
            <td>
              <code>
                {JSON.stringify(a.before)} → {JSON.stringify(a.after)}
              </code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
