// Setting a quota bucket's limit in place: a number, checked here before the server sees it.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Bucket, describe } from "./api";
import { count } from "./table";

/** The server's ceiling for a bucket's limit (src/routes/admin/actions.ts). */
const MAX_LIMIT = 1_000_000_000;

export function parseLimit(text: string): { limit: number } | { problem: string } {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return { problem: "Enter a whole number of tokens, 0 or more." };
  const limit = Number(trimmed);
  if (limit > MAX_LIMIT) return { problem: `The limit can be at most ${count(MAX_LIMIT)} tokens.` };
  return { limit };
}

export function LimitForm({
  bucket,
  label,
  onSaved,
  onCancel,
}: {
  bucket: Bucket;
  /** Which bucket, in words (its window), for the field's accessible name. */
  label: string;
  onSaved: (limit: number) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState(String(bucket.limit_tokens));
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const problemId = `admin-limit-problem-${bucket.id}`;

  const submit = (e: Event) => {
    e.preventDefault();
    const parsed = parseLimit(value);
    if ("problem" in parsed) {
      setProblem(parsed.problem);
      input.current?.focus();
      return;
    }
    setSaving(true);
    setProblem(null);
    api(`/api/admin/buckets/${bucket.id}/limit`, {
      method: "POST",
      body: { limit_tokens: parsed.limit },
    }).then(
      () => onSaved(parsed.limit),
      (error) => {
        setSaving(false);
        setProblem(`Not saved: ${describe(error)}`);
      },
    );
  };

  return (
    // The browser's own validation bubbles are off: the message below says what is wrong.
    <form class="admin-limit-form" noValidate onSubmit={submit}>
      <div class="admin-limit-controls">
        <input
          ref={input}
          class="input"
          type="number"
          inputMode="numeric"
          min={0}
          max={MAX_LIMIT}
          step={1}
          aria-label={`New limit in tokens for ${label}`}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? problemId : undefined}
          value={value}
          disabled={saving}
          onInput={(e) => setValue(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Escape" && onCancel()}
        />
        <button type="submit" class="button button-primary button-small" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" class="button button-quiet button-small" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {problem && (
        <p id={problemId} class="admin-field-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
