// The moments between data: loading, nothing yet, a failure with Retry, an action's outcome, and
// the access cards (checking, signed out, not staff) shown instead of the page.
import type { ComponentChildren } from "preact";
import { CloseIcon, RestartIcon } from "../components/icons";
import type { Resource } from "./use-resource";

export function Loading({ label }: { label: string }) {
  return (
    <div class="admin-state" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="admin-state admin-empty">
      <p class="admin-empty-title">{title}</p>
      {children && <p>{children}</p>}
    </div>
  );
}

export function Failure({
  what,
  message,
  onRetry,
}: {
  /** What could not be done, e.g. "The accounts could not be loaded." */
  what: string;
  message: string;
  onRetry: () => void;
}) {
  return (
    <div class="notice notice-danger admin-failure" role="alert">
      <p>
        <strong>{what}</strong> {message}
      </p>
      <button type="button" class="button button-small" onClick={onRetry}>
        <RestartIcon />
        Retry
      </button>
    </div>
  );
}

/** A resource's view: its failure (with Retry), a spinner until the first rows, then the rows. */
export function Loaded<T>({
  resource,
  reload,
  label,
  failed,
  children,
}: {
  resource: Resource<T>;
  reload: () => void;
  /** While loading, e.g. "Loading accounts…". */
  label: string;
  /** On failure, before the server's message. */
  failed: string;
  children: (data: T) => ComponentChildren;
}) {
  return (
    <>
      {resource.status === "error" && (
        <Failure what={failed} message={resource.message} onRetry={reload} />
      )}
      {resource.data !== undefined
        ? children(resource.data)
        : resource.status === "loading" && <Loading label={label} />}
    </>
  );
}

export interface Outcome {
  tone: "success" | "danger";
  text: string;
}

/** What an action did (or why it failed), until dismissed or replaced by the next one. */
export function OutcomeNotice({
  outcome,
  onDismiss,
}: {
  outcome: Outcome | null;
  onDismiss: () => void;
}) {
  if (!outcome) return null;
  const danger = outcome.tone === "danger";
  return (
    <div
      class={`notice admin-outcome${danger ? " notice-danger" : " admin-outcome-success"}`}
      role={danger ? "alert" : "status"}
    >
      <p>{outcome.text}</p>
      <button type="button" class="icon-button" aria-label="Dismiss" onClick={onDismiss}>
        <CloseIcon />
      </button>
    </div>
  );
}

/** A centred card instead of the page, for whoever may not (or may not yet) see it. */
export function AccessCard({
  title,
  busy = false,
  children,
}: {
  title: string;
  busy?: boolean;
  children?: ComponentChildren;
}) {
  return (
    <div class="admin-gate">
      <section class="admin-card" aria-labelledby="admin-card-title" aria-busy={busy}>
        {busy && <span class="spinner admin-card-spinner" aria-hidden="true" />}
        <h1 id="admin-card-title">{title}</h1>
        {children}
      </section>
    </div>
  );
}
