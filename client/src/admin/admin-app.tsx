// The admin page at /admin: staff see accounts (tier editable), one account's buckets and keys,
// the usage log and the audit trail. Everything comes from /api/admin, which enforces access.
import "../styles/admin.css";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { AccountsTab } from "./accounts-tab";
import { ApiError, api, describe } from "./api";
import { AuditTab } from "./audit-tab";
import { ArrowLeftIcon } from "./icons";
import { AccessCard } from "./states";
import { UsageTab } from "./usage-tab";

type Access =
  | { state: "checking" }
  | { state: "signed-out" }
  | { state: "forbidden"; message: string }
  | { state: "failed"; message: string }
  | { state: "admin"; email: string };

const TABS = [
  { id: "accounts", label: "Accounts", Panel: AccountsTab },
  { id: "usage", label: "Usage", Panel: UsageTab },
  { id: "audit", label: "Audit", Panel: AuditTab },
] as const;
type Tab = (typeof TABS)[number]["id"];

// The open tab lives in the address (#usage), so a reload or a shared link keeps it.
const tabFromHash = (): Tab => TABS.find((t) => `#${t.id}` === location.hash)?.id ?? "accounts";

export function AdminApp() {
  const [access, setAccess] = useState<Access>({ state: "checking" });
  const check = useCallback(() => {
    setAccess({ state: "checking" });
    api<{ email: string }>("/api/admin/me").then(
      ({ email }) => setAccess({ state: "admin", email }),
      (e) =>
        setAccess(
          e instanceof ApiError && e.status === 401
            ? { state: "signed-out" }
            : e instanceof ApiError && e.status === 403
              ? { state: "forbidden", message: e.message }
              : { state: "failed", message: describe(e) },
        ),
    );
  }, []);
  useEffect(check, [check]);
  useEffect(() => {
    document.title = "Admin · Gradual";
  }, []);

  return (
    <div class="admin">
      <header class="admin-bar">
        <div class="admin-brand">
          <span class="brand-mark" aria-hidden="true" />
          <span>Gradual</span>
          <span class="chip chip-accent">Admin</span>
        </div>
        {access.state === "admin" && <span class="admin-who">{access.email}</span>}
        <a class="button button-small admin-back" href="/">
          <ArrowLeftIcon />
          Back to app
        </a>
      </header>
      {access.state === "admin" ? <Sections /> : <Gate access={access} retry={check} />}
    </div>
  );
}

function Gate({
  access,
  retry,
}: {
  access: Exclude<Access, { state: "admin" }>;
  retry: () => void;
}) {
  const home = (label: string): ComponentChildren => (
    <a class="button button-primary" href="/">
      {label}
    </a>
  );
  switch (access.state) {
    case "checking":
      return <AccessCard title="Checking your access…" busy />;
    case "signed-out":
      return (
        <AccessCard title="Sign in to continue">
          <p>The admin page is for Gradual staff. Sign in on the app, then come back here.</p>
          {home("Go to Gradual")}
        </AccessCard>
      );
    case "forbidden":
      return (
        <AccessCard title="This page is for staff">
          <p>{access.message.replace(/\.?$/, ".")}</p>
          <p class="admin-muted">If you have a staff account, sign in with it on the app.</p>
          {home("Back to Gradual")}
        </AccessCard>
      );
    case "failed":
      return (
        <AccessCard title="Access could not be checked">
          <p>{access.message}</p>
          <button type="button" class="button button-primary" onClick={retry}>
            Retry
          </button>
        </AccessCard>
      );
  }
}

function Sections() {
  const [tab, setTab] = useState<Tab>(tabFromHash);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const select = (id: Tab, focus = false) => {
    setTab(id);
    history.replaceState(null, "", `#${id}`);
    if (focus) tabs.current[TABS.findIndex((t) => t.id === id)]?.focus();
  };
  // Arrow keys move along the tabs (and wrap), Home and End jump to the ends.
  const onKeyDown = (e: KeyboardEvent) => {
    const at = TABS.findIndex((t) => t.id === tab);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = TABS[(to + TABS.length) % TABS.length];
    if (next) select(next.id, true);
  };
  const active = TABS.find((t) => t.id === tab) ?? TABS[0];
  return (
    <main class="admin-main">
      <div class="admin-tabs" role="tablist" aria-label="Admin sections" onKeyDown={onKeyDown}>
        {TABS.map((t, i) => (
          <button
            type="button"
            role="tab"
            key={t.id}
            id={`admin-tab-${t.id}`}
            class="admin-tab"
            aria-selected={t.id === tab}
            aria-controls={`admin-panel-${t.id}`}
            tabIndex={t.id === tab ? 0 : -1}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            onClick={() => select(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <section
        class="admin-panel"
        role="tabpanel"
        id={`admin-panel-${active.id}`}
        aria-labelledby={`admin-tab-${active.id}`}
      >
        <active.Panel />
      </section>
    </main>
  );
}
