// Accounts, newest first: the tier is changed in place, and a row opens the account's quota
// buckets and virtual keys beneath it.
import { useState } from "preact/hooks";
import { RestartIcon } from "../components/icons";
import { AccountDetail } from "./account-detail";
import { type Account, api, describe, type Page, TIERS } from "./api";
import { ChevronIcon } from "./icons";
import { Empty, Loaded, type Outcome, OutcomeNotice } from "./states";
import { count, None, ShortId, TableWrap, When } from "./table";
import { useResource } from "./use-resource";

const nameOf = (a: Account) => a.emails[0] ?? "Anonymous";
/** The account in a sentence: its email, or which anonymous account. */
const sayWho = (a: Account) => a.emails[0] ?? `The anonymous account ${a.id.slice(0, 8)}`;

export function AccountsTab() {
  const [accounts, reload] = useResource<Page<Account>>("/api/admin/accounts");
  const [open, setOpen] = useState<string | null>(null);
  // The tier asked for, shown in its select while the change is on its way.
  const [pending, setPending] = useState<{ id: string; tier: Account["tier"] } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const setTier = (a: Account, tier: Account["tier"]) => {
    if (tier === a.tier) return;
    setPending({ id: a.id, tier });
    api(`/api/admin/accounts/${a.id}/tier`, { method: "POST", body: { tier } })
      .then(
        () => setOutcome({ tone: "success", text: `${sayWho(a)} is now on the ${tier} tier.` }),
        (e) => setOutcome({ tone: "danger", text: `The tier was not changed: ${describe(e)}` }),
      )
      // The select shows the asked-for tier until the list says what the server has.
      .finally(() => reload().then(() => setPending(null)));
  };

  return (
    <>
      <div class="admin-panel-head">
        <p class="admin-lead">Newest first. Open an account to see its quota buckets and keys.</p>
        <button type="button" class="button button-small" onClick={reload}>
          <RestartIcon />
          Refresh
        </button>
      </div>
      <OutcomeNotice outcome={outcome} onDismiss={() => setOutcome(null)} />
      <Loaded
        resource={accounts}
        reload={reload}
        label="Loading accounts…"
        failed="The accounts could not be loaded."
      >
        {({ data }) =>
          data.length === 0 ? (
            <Empty title="No accounts yet">Accounts appear here once someone opens Gradual.</Empty>
          ) : (
            <TableWrap label="Accounts">
              <thead>
                <tr>
                  <th>Account</th>
                  <th>Tier</th>
                  <th>Signed in with</th>
                  <th class="num">Today (used / limit)</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {data.map((a) => {
                  const expanded = open === a.id;
                  const tier = pending?.id === a.id ? pending.tier : a.tier;
                  return [
                    <tr key={a.id} class={expanded ? "admin-row-open" : undefined}>
                      <td>
                        <button
                          type="button"
                          class="admin-open"
                          aria-expanded={expanded}
                          aria-controls={expanded ? `admin-account-${a.id}` : undefined}
                          onClick={() => setOpen(expanded ? null : a.id)}
                        >
                          <ChevronIcon />
                          <span class="admin-open-text">
                            <span class="admin-open-name">{nameOf(a)}</span>
                            <ShortId id={a.id} />
                          </span>
                        </button>
                      </td>
                      <td>
                        <select
                          class="select admin-select"
                          aria-label={`Tier of ${nameOf(a)} (${a.id.slice(0, 8)})`}
                          value={tier}
                          disabled={pending?.id === a.id}
                          onChange={(e) => setTier(a, e.currentTarget.value as Account["tier"])}
                        >
                          {TIERS.map((t) => (
                            <option key={t} value={t}>
                              {t}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        {a.providers.length ? (
                          <span class="admin-chips">
                            {a.providers.map((p) => (
                              <span class="chip" key={p}>
                                {p}
                              </span>
                            ))}
                          </span>
                        ) : (
                          <None />
                        )}
                      </td>
                      <td class="num">
                        {a.today ? (
                          `${count(a.today.used_tokens)} / ${count(a.today.limit_tokens)}`
                        ) : (
                          <None />
                        )}
                      </td>
                      <td>
                        <When iso={a.created_at} />
                      </td>
                    </tr>,
                    expanded && (
                      <tr key={`${a.id}-detail`} class="admin-detail">
                        <td colSpan={5} id={`admin-account-${a.id}`}>
                          <AccountDetail accountId={a.id} onChanged={reload} />
                        </td>
                      </tr>
                    ),
                  ];
                })}
              </tbody>
            </TableWrap>
          )
        }
      </Loaded>
    </>
  );
}
