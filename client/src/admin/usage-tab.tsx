// The usage log, newest first: filtered by account, model and status when the form is sent,
// with older pages appended below.
import { useEffect, useState } from "preact/hooks";
import { api, describe, PAGE_SIZE, type Page, USAGE_STATUSES, type Usage } from "./api";
import { Empty, Failure, Loading } from "./states";
import { count, None, ShortId, TableWrap, When } from "./table";

interface Filter {
  account_id: string;
  model: string;
  status: string;
}
const NO_FILTER: Filter = { account_id: "", model: "", status: "" };

type State =
  | { status: "loading" }
  | { status: "error"; message: string; retry: () => void }
  | { status: "ready" };

const statusTone = (s: string) =>
  s === "ok" ? "chip-accent" : s.startsWith("settled") || s === "aborted" ? "" : "chip-danger";

export function UsageTab() {
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [applied, setApplied] = useState<Filter>(NO_FILTER);
  const [rows, setRows] = useState<Usage[]>([]);
  const [state, setState] = useState<State>({ status: "loading" });
  const [more, setMore] = useState(false);

  /** `last`: the row to page on from (the server's cursor is its time and id). */
  const load = (filter: Filter, last?: Usage) => {
    const before = last?.created_at;
    const query = new URLSearchParams(
      Object.entries({ ...filter, before: before ?? "", before_id: last?.id ?? "" }).filter(
        ([, v]) => v,
      ),
    );
    setState({ status: "loading" });
    // A new filter starts a new list; an older page is added to the one on screen.
    if (!before) setRows([]);
    api<Page<Usage>>(`/api/admin/usage?${query}`).then(
      (p) => {
        setRows((old) => (before ? [...old, ...p.data] : p.data));
        setMore(p.data.length >= PAGE_SIZE);
        setApplied(filter);
        setState({ status: "ready" });
      },
      (e) => setState({ status: "error", message: describe(e), retry: () => load(filter, last) }),
    );
  };
  // Load once; the filters apply when the form is sent.
  useEffect(() => load(NO_FILTER), []);

  const filtered = Object.values(applied).some(Boolean);
  const field = (name: "account_id" | "model", label: string, hint: string) => (
    <label class="admin-field">
      <span>{label}</span>
      <input
        class="input"
        name={name}
        placeholder={hint}
        value={draft[name]}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
      />
    </label>
  );

  return (
    <>
      <form
        class="admin-filters"
        aria-label="Filter the usage log"
        onSubmit={(e) => {
          e.preventDefault();
          load({ ...draft, account_id: draft.account_id.trim(), model: draft.model.trim() });
        }}
      >
        {field("account_id", "Account ID", "Any account")}
        {field("model", "Model", "Any model")}
        <label class="admin-field">
          <span>Status</span>
          <select
            class="select"
            name="status"
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
          >
            <option value="">Any status</option>
            {USAGE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <div class="admin-filter-actions">
          <button type="submit" class="button button-primary">
            Filter
          </button>
          {(filtered || Object.values(draft).some(Boolean)) && (
            <button
              type="button"
              class="button button-quiet"
              onClick={() => {
                setDraft(NO_FILTER);
                load(NO_FILTER);
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      {state.status === "error" && (
        <Failure
          what="The usage log could not be loaded."
          message={state.message}
          onRetry={state.retry}
        />
      )}
      {rows.length > 0 ? (
        <TableWrap label="Usage log">
          <thead>
            <tr>
              <th>When</th>
              <th>Account</th>
              <th>Model</th>
              <th>Status</th>
              <th class="num">Estimated</th>
              <th class="num">Debited</th>
              <th class="num">Latency (ms)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.id}>
                <td>
                  <When iso={u.created_at} />
                </td>
                <td>
                  <ShortId id={u.account_id} />
                </td>
                <td>
                  <span title={u.provider}>{u.model}</span>
                </td>
                <td>
                  <span class={`chip ${statusTone(u.status)}`}>{u.status}</span>
                </td>
                <td class="num">{count(u.estimated_tokens)}</td>
                <td class="num">{count(u.debited_tokens)}</td>
                <td class="num">{u.latency_ms === null ? <None /> : count(u.latency_ms)}</td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : (
        state.status === "ready" &&
        (filtered ? (
          <Empty title="Nothing matches these filters">Clear them to see all usage.</Empty>
        ) : (
          <Empty title="No usage yet">Each request to a model is logged here.</Empty>
        ))
      )}
      {state.status === "loading" && (
        <Loading label={rows.length ? "Loading older usage…" : "Loading usage…"} />
      )}
      {rows.length > 0 && more && state.status === "ready" && (
        <div class="admin-more">
          <button type="button" class="button" onClick={() => load(applied, rows.at(-1))}>
            Older
          </button>
        </div>
      )}
    </>
  );
}
