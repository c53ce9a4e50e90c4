// One account: its quota buckets (limit editable in place) and virtual keys (revocable).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Bucket, describe, type Key, type Page } from "./api";
import { LimitForm } from "./limit-form";
import { Empty, Loaded, type Outcome, OutcomeNotice } from "./states";
import { count, TableWrap, When } from "./table";
import { useResource } from "./use-resource";

const windowOf = (b: Bucket) =>
  new Date(b.window_start).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function AccountDetail({
  accountId,
  onChanged,
}: {
  accountId: string;
  /** Called after a change, so the accounts list can show today's new limit too. */
  onChanged: () => unknown;
}) {
  const [buckets, reloadBuckets] = useResource<Page<Bucket>>(
    `/api/admin/buckets?account_id=${accountId}`,
  );
  const [keys, reloadKeys] = useResource<Page<Key>>(`/api/admin/keys?account_id=${accountId}`);
  const [editing, setEditing] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // When the limit form closes, focus goes back to the Edit button it replaced.
  const edited = useRef<string | null>(null);
  useEffect(() => {
    if (editing) edited.current = editing;
    else if (edited.current) document.getElementById(`admin-edit-${edited.current}`)?.focus();
  }, [editing]);

  // The form stays (saving) until the row can show the new limit, so the old one never flashes.
  const saved = (b: Bucket, limit: number) => {
    onChanged();
    void reloadBuckets().then(() => {
      setEditing(null);
      setOutcome({
        tone: "success",
        text: `The limit for the window from ${windowOf(b)} is now ${count(limit)} tokens.`,
      });
    });
  };
  const revoke = (k: Key) => {
    const sure = confirm(
      `Revoke the key “${k.label}” (${k.prefix}…)? Anything using it stops working at once, and this cannot be undone.`,
    );
    if (!sure) return;
    api(`/api/admin/keys/${k.id}/revoke`, { method: "POST" })
      .then(
        () => setOutcome({ tone: "success", text: `The key “${k.label}” is revoked.` }),
        (e) => setOutcome({ tone: "danger", text: `The key was not revoked: ${describe(e)}` }),
      )
      // Either way, show the key as the server now has it.
      .finally(reloadKeys);
  };

  return (
    <div class="admin-account">
      <OutcomeNotice outcome={outcome} onDismiss={() => setOutcome(null)} />
      <section class="admin-subsection">
        <h3>Quota buckets</h3>
        <Loaded
          resource={buckets}
          reload={reloadBuckets}
          label="Loading buckets…"
          failed="The buckets could not be loaded."
        >
          {({ data }) =>
            data.length === 0 ? (
              <Empty title="No quota buckets yet">
                One is made the first time the account is used in a window.
              </Empty>
            ) : (
              <TableWrap label="Quota buckets">
                <thead>
                  <tr>
                    <th>Window from</th>
                    <th class="num">Used</th>
                    <th class="num">Limit</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((b) => (
                    <tr key={b.id}>
                      <td>
                        <When iso={b.window_start} />
                      </td>
                      <td class="num">{count(b.used_tokens)}</td>
                      <td class="num">
                        {editing === b.id ? (
                          <LimitForm
                            bucket={b}
                            label={`the window from ${windowOf(b)}`}
                            onSaved={(limit) => saved(b, limit)}
                            onCancel={() => setEditing(null)}
                          />
                        ) : (
                          <span class="admin-limit">
                            <span data-testid="bucket-limit">{count(b.limit_tokens)}</span>
                            <button
                              type="button"
                              id={`admin-edit-${b.id}`}
                              class="button button-small"
                              aria-label={`Edit the limit for the window from ${windowOf(b)}`}
                              onClick={() => setEditing(b.id)}
                            >
                              Edit
                            </button>
                          </span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )
          }
        </Loaded>
      </section>
      <section class="admin-subsection">
        <h3>Virtual keys</h3>
        <Loaded
          resource={keys}
          reload={reloadKeys}
          label="Loading keys…"
          failed="The keys could not be loaded."
        >
          {({ data }) =>
            data.length === 0 ? (
              <Empty title="No virtual keys">This account has not made an API key.</Empty>
            ) : (
              <TableWrap label="Virtual keys">
                <thead>
                  <tr>
                    <th>Label</th>
                    <th>Key</th>
                    <th>Created</th>
                    <th>Last used</th>
                    <th>Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((k) => (
                    <tr key={k.id}>
                      <td>{k.label}</td>
                      <td>
                        <code>{k.prefix}…</code>
                      </td>
                      <td>
                        <When iso={k.created_at} />
                      </td>
                      <td>
                        <When iso={k.last_used_at} />
                      </td>
                      <td>
                        {k.revoked_at ? (
                          <span class="admin-key-state">
                            <span class="chip chip-danger">Revoked</span>
                            <When iso={k.revoked_at} />
                          </span>
                        ) : (
                          <span class="admin-key-state">
                            <span class="chip chip-accent">Active</span>
                            <button
                              type="button"
                              class="button button-small button-danger"
                              aria-label={`Revoke the key ${k.label}`}
                              onClick={() => revoke(k)}
                            >
                              Revoke
                            </button>
                          </span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )
          }
        </Loaded>
      </section>
    </div>
  );
}
