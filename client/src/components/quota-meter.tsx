// Today's tokens: used of the limit, and when the window resets; it moves live.
import { fromNow } from "../agent/explain";
import { quota } from "../state/account";

const format = new Intl.NumberFormat();
const compact = new Intl.NumberFormat(undefined, { notation: "compact" });

export function QuotaMeter() {
  const q = quota.value;
  if (!q) return null;
  const share = q.limit_tokens ? Math.min(1, q.used_tokens / q.limit_tokens) : 1;
  const level = share >= 1 ? "out" : share >= 0.8 ? "high" : "ok";
  const reset = new Date(q.reset_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return (
    <div class="quota" data-level={level} title={`Resets at ${reset} (${fromNow(q.reset_at)})`}>
      <span class="quota-full">
        <span data-testid="quota-used">{format.format(q.used_tokens)}</span> /{" "}
        <span data-testid="quota-limit">{format.format(q.limit_tokens)}</span>
        <span> tokens · resets {fromNow(q.reset_at)}</span>
      </span>
      <span class="quota-compact" aria-hidden="true">
        {compact.format(q.used_tokens)} / {compact.format(q.limit_tokens)}
      </span>
      <span class="quota-bar" aria-hidden="true">
        <span style={{ width: `${share * 100}%` }} />
      </span>
    </div>
  );
}
