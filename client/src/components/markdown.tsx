// Model text as Markdown. The parser and sanitiser (marked, DOMPurify) load after the page is
// interactive; until then, and for text that fails to render, the text shows as it is.
import { useEffect, useRef, useState } from "preact/hooks";
import { highlightIn } from "./highlight";

type Render = (markdown: string) => string;
let renderer: Render | null = null;
let loading: Promise<Render> | null = null;
const loadRenderer = () => {
  loading ??= import("./markdown-render").then((m) => {
    renderer = m.render;
    return m.render;
  });
  return loading;
};

export function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  const [render, setRender] = useState<Render | null>(() => renderer);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!render)
      void loadRenderer().then(
        (r) => setRender(() => r),
        () => {},
      );
  }, [render]);
  const html = render ? render(text) : null;
  useEffect(() => {
    // Highlighting a block that is still growing would redo it every frame.
    if (html && !streaming && ref.current) highlightIn(ref.current);
  }, [html, streaming]);
  if (html === null) return <div class="markdown plain-text">{text}</div>;
  return <div ref={ref} class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
