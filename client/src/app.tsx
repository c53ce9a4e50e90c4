// The page: conversations on the left, the transcript and composer in the middle, the workspace
// (Python and /data) on the right; drawers on a phone.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { AttachmentChips, DropZone } from "./components/attachments";
import { Composer } from "./components/composer";
import { FolderIcon, MenuIcon } from "./components/icons";
import { ModelPicker } from "./components/model-picker";
import { OfflineNotice, ProblemBanner, Toast } from "./components/problem";
import { QuotaMeter } from "./components/quota-meter";
import { Sidebar } from "./components/sidebar";
import { Transcript } from "./components/transcript";
import { Workspace } from "./components/workspace";
import { bootState } from "./state/account";
import { currentSessionId, sessions } from "./state/sessions";
import { turns } from "./state/transcript";

const wide = () => matchMedia("(min-width: 1101px)").matches;

/** Whether a media query matches, following changes (a rotated phone, a resized window). */
function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const change = () => setMatches(list.matches);
    list.addEventListener("change", change);
    return () => list.removeEventListener("change", change);
  }, [query]);
  return matches;
}

/** Keeps the newest text in view while it streams, unless the person scrolled up to read. */
function useFollow() {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onScroll = () => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);
  const list = turns.value;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && list.length && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [list]);
  return scroller;
}

function Title() {
  const id = currentSessionId.value;
  const title = id ? (sessions.value.find((s) => s.id === id)?.title ?? "") : "New chat";
  return <h1 class="topbar-title">{title || "Untitled chat"}</h1>;
}

export function App() {
  const [menuOpen, setMenuOpen] = useState(false);
  const [workspaceOpen, setWorkspaceOpen] = useState(wide);
  const phone = useMedia("(max-width: 760px)");
  const scroller = useFollow();
  // Escape closes an open drawer, as it would a dialog.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      if (menuOpen) setMenuOpen(false);
      else if (workspaceOpen && !wide()) setWorkspaceOpen(false);
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [menuOpen, workspaceOpen]);
  const boot = bootState.value;
  if (boot.phase === "failed") {
    return (
      <main class="empty">
        <h1>Gradual can't start right now</h1>
        <p class="empty-lead">{boot.message}</p>
        <button type="button" class="button button-primary" onClick={() => location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  return (
    <div class="shell">
      <Sidebar open={menuOpen} drawer={phone} onClose={() => setMenuOpen(false)} />
      <button
        type="button"
        class="scrim"
        tabIndex={-1}
        aria-label="Close the panel"
        data-open={menuOpen || (workspaceOpen && !wide())}
        onClick={() => {
          setMenuOpen(false);
          if (!wide()) setWorkspaceOpen(false);
        }}
      />
      <main class="main">
        <header class="topbar">
          <button
            type="button"
            class="icon-button drawer-toggle"
            aria-label="Conversations"
            aria-expanded={menuOpen}
            onClick={() => setMenuOpen(!menuOpen)}
          >
            <MenuIcon />
          </button>
          <Title />
          <ModelPicker />
          <QuotaMeter />
          <button
            type="button"
            class="icon-button"
            aria-label="Workspace: Python and files"
            aria-expanded={workspaceOpen}
            onClick={() => setWorkspaceOpen(!workspaceOpen)}
          >
            <FolderIcon />
          </button>
        </header>
        <div class="conversation" ref={scroller}>
          <div class="column">
            {boot.phase === "starting" ? (
              <div class="empty" aria-busy="true">
                <span class="spinner" />
                <p class="muted">Getting things ready…</p>
              </div>
            ) : (
              <Transcript />
            )}
          </div>
        </div>
        <div class="composer-wrap">
          <div class="column">
            <OfflineNotice />
            <ProblemBanner />
            <AttachmentChips />
            <Composer />
          </div>
        </div>
      </main>
      {workspaceOpen && <Workspace onClose={() => setWorkspaceOpen(false)} />}
      <Toast />
      <DropZone />
    </div>
  );
}
