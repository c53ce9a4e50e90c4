// One account: its buckets (with the limit editable) and keys (revocable).
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, type Bucket, type Key, type Page } from "./api";

export function AccountDetail({
  accountId,
  onError,
}: {
  accountId: string;
  onError: (e: unknown) => void;
}) {
  const [buckets, setBuckets] = useState<Bucket[]>([]);
  const [keys, setKeys] = useState<Key[]>([]);
  const load = useCallback(() => {
    api<Page<Bucket>>(`/api/admin/buckets?account_id=${accountId}`).then(
      (p) => setBuckets(p.data),
      onError,
    );
    api<Page<Key>>(`/api/admin/keys?account_id=${accountId}`).then((p) => setKeys(p.data), onError);
  }, [accountId, onError]);
  useEffect(load, [load]);

  const setLimit = (bucket: Bucket) => {
    const value = prompt("New limit (tokens)", String(bucket.limit_tokens));
    if (value === null) return;
    api(`/api/admin/buckets/${bucket.id}/limit`, {
      method: "POST",
      body: { limit_tokens: Number(value) },
    }).then(load, onError);
  };
  const revoke = (key: Key) =>
    api(`/api/admin/keys/${key.id}/revoke`, { method: "POST" }).then(load, onError);

  return (
    <section>
      <h3>Buckets</h3>
      <table>
        <thead>
          <tr>
            <th>window</th>
            <th>used</th>
            <th>limit</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.id}>
              <td>{b.window_start.slice(0, 10)}</td>
              <td>{b.used_tokens}</td>
              <td>{b.limit_tokens}</td>
              <td>
                <button type="button" onClick={() => setLimit(b)}>
                  Set limit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Virtual keys</h3>
      <table>
        <thead>
          <tr>
            <th>label</th>
            <th>prefix</th>
            <th>created</th>
            <th>revoked</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.label}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>{k.created_at.slice(0, 16)}</td>
              <td>{k.revoked_at?.slice(0, 16) ?? "—"}</td>
              <td>
                {!k.revoked_at && (
                  <button type="button" onClick={() => revoke(k)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
