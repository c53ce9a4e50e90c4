// An editable code box that stays readable: a transparent textarea over a highlighted copy of
// its text (same font, same padding), so selection, undo and mobile keyboards are the browser's.
import { useEffect, useState } from "preact/hooks";
import { loadHighlighter } from "./highlight";

let highlight: ((code: string) => string) | null = null;

export function CodeEditor({
  value,
  label,
  readOnly,
  onInput,
  onRun,
}: {
  value: string;
  label: string;
  readOnly: boolean;
  onInput: (value: string) => void;
  onRun?: () => void;
}) {
  const [ready, setReady] = useState(highlight !== null);
  useEffect(() => {
    if (!ready)
      void loadHighlighter().then((h) => {
        highlight = h;
        setReady(true);
      });
  }, [ready]);
  // A trailing newline needs a character after it, or the copy is one line short.
  const shown = `${value}\n`;
  return (
    <div class="editor" data-readonly={readOnly}>
      <div class="editor-scroll">
        <div class="editor-content">
          {ready && highlight ? (
            <pre aria-hidden="true" dangerouslySetInnerHTML={{ __html: highlight(shown) }} />
          ) : (
            <pre aria-hidden="true">{shown}</pre>
          )}
          <textarea
            aria-label={label}
            value={value}
            readOnly={readOnly}
            spellcheck={false}
            autocapitalize="off"
            autocomplete="off"
            onInput={(e) => onInput(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey) && onRun) {
                e.preventDefault();
                onRun();
              }
            }}
          />
        </div>
      </div>
    </div>
  );
}
