// How the admin tables show things: a wrapper that scrolls sideways on a phone, times in the
// reader's locale (exact ISO value on hover), counts with separators, ids cut short.
import type { ComponentChildren } from "preact";

export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  // Focusable, so a keyboard can scroll a table wider than the screen.
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus.
    <section class="admin-table-wrap" aria-label={label} tabIndex={0}>
      <table class="table admin-table">{children}</table>
    </section>
  );
}

export const None = () => (
  <span class="admin-none" title="None">
    —
  </span>
);

export function When({ iso }: { iso: string | null }) {
  if (!iso) return <None />;
  const text = new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  return (
    <time dateTime={iso} title={iso}>
      {text}
    </time>
  );
}

export const count = (n: number) => n.toLocaleString();

export function ShortId({ id }: { id: string }) {
  return (
    <code class="admin-id" title={id}>
      {id.slice(0, 8)}
    </code>
  );
}
