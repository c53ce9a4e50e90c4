// The problem of the moment, as a sentence with a next step; the toast for good news.
import { useEffect } from "preact/hooks";
import { toast } from "../state/account";
import { problem } from "../state/transcript";
import { SignInButtons } from "./account";
import { CloseIcon } from "./icons";

export function ProblemBanner() {
  const p = problem.value;
  if (!p) return null;
  return (
    <div class="notice notice-danger problem" role="alert">
      <p>{p.message}</p>
      {p.offerSignIn && <SignInButtons compact />}
      {p.action && (
        <button
          type="button"
          class="button button-small"
          onClick={() => {
            problem.value = null;
            p.action?.run();
          }}
        >
          {p.action.label}
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
