// The problem of the moment, as a sentence with a next step; the toast for good news.
import { useEffect, useState } from "preact/hooks";
import { online, toast } from "../state/account";
import { problem } from "../state/transcript";
import { SignInButtons } from "./account";
import { CloseIcon } from "./icons";

/** Seconds left until `until` (epoch ms), ticking; 0 once it has passed. */
function useCountdown(until: number | undefined): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!until || until <= Date.now()) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [until]);
  return until ? Math.max(0, Math.ceil((until - now) / 1000)) : 0;
}

export function ProblemBanner() {
  const p = problem.value;
  const wait = useCountdown(p?.notBefore);
  if (!p) return null;
  return (
    <div class="notice notice-danger problem" role="alert">
      <p>{p.message}</p>
      {p.offerSignIn && <SignInButtons compact />}
      {p.action && (
        <button
          type="button"
          class="button button-small"
          disabled={wait > 0}
          onClick={() => {
            problem.value = null;
            p.action?.run();
          }}
        >
          {wait > 0 ? `${p.action.label} in ${wait} s` : p.action.label}
        </button>
      )}
      <button
        type="button"
        class="icon-button"
        aria-label="Dismiss"
        onClick={() => (problem.value = null)}
      >
        <CloseIcon />
      </button>
    </div>
  );
}

export function OfflineNotice() {
  if (online.value) return null;
  return (
    <div class="notice notice-warning problem" role="status">
      <p>
        You're offline. What's on screen stays; sending works again once you're back online, and
        results not saved yet are sent then.
      </p>
    </div>
  );
}

export function Toast() {
  const text = toast.value;
  useEffect(() => {
    if (!text) return;
    const timer = setTimeout(() => (toast.value = null), 8_000);
    return () => clearTimeout(timer);
  }, [text]);
  if (!text) return null;
  return (
    <div class="notice toast" role="status">
      <p>{text}</p>
      <button
        type="button"
        class="icon-button"
        aria-label="Dismiss"
        onClick={() => (toast.value = null)}
      >
        <CloseIcon />
      </button>
    </div>
  );
}
