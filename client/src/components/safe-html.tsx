// HTML a cell displayed, sanitised by the same DOMPurify set-up as model text before it is shown.
import { useEffect, useState } from "preact/hooks";

export function SafeHtml({ html }: { html: string }) {
  const [clean, setClean] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void import("./markdown-render").then((m) => live && setClean(m.sanitize(html)));
    return () => {
      live = false;
    };
  }, [html]);
  if (clean === null) return null;
  return <div class="html-output" dangerouslySetInnerHTML={{ __html: clean }} />;
}
