// Python highlighting, loaded on first use: highlight.js's core and its Python grammar only.
type Highlighter = (code: string) => string;
let highlighter: Promise<Highlighter> | null = null;

export function loadHighlighter(): Promise<Highlighter> {
  highlighter ??= Promise.all([
    import("highlight.js/lib/core"),
    import("highlight.js/lib/languages/python"),
  ]).then(([{ default: hljs }, { default: python }]) => {
    hljs.registerLanguage("python", python);
    return (code: string) =>
      hljs.highlight(code, { language: "python", ignoreIllegals: true }).value;
  });
  return highlighter;
}

/** Highlights the Python (and unlabelled) code blocks inside `root`. */
export function highlightIn(root: HTMLElement) {
  const blocks = root.querySelectorAll<HTMLElement>(
    "pre > code.language-python, pre > code.language-py, pre > code:not([class])",
  );
  if (!blocks.length) return;
  void loadHighlighter().then((highlight) => {
    for (const block of blocks) {
      if (block.dataset.highlighted) continue;
      block.innerHTML = highlight(block.textContent ?? "");
      block.dataset.highlighted = "true";
    }
  });
}
