// Markdown to safe HTML: marked parses, DOMPurify removes anything that could run or load.
// Loaded on demand (it is most of the page's script weight).
import DOMPurify from "dompurify";
import { marked } from "marked";

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  // Text from a model or a cell must not dress up as the app's own controls or notices: no
  // classes but a code block's language (for highlighting).
  const language = /^language-[\w-]+$/.test(node.getAttribute("class") ?? "");
  if (!(node.tagName === "CODE" && language)) node.removeAttribute("class");
});

const OPTIONS = {
  FORBID_TAGS: ["style", "form", "input", "button", "select", "textarea", "dialog"],
  FORBID_ATTR: ["style", "role", "id", "tabindex"],
};

export function render(markdown: string): string {
  const html = marked.parse(markdown, { async: false, gfm: true }) as string;
  return DOMPurify.sanitize(html, OPTIONS);
}

/** HTML a cell displayed (a pandas object's table): the same sanitising. */
export function sanitize(html: string): string {
  return DOMPurify.sanitize(html, OPTIONS);
}
