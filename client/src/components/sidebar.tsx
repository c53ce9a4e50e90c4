// The conversations: start a new one, open, rename or delete one; the account at the foot.
import { useEffect, useRef, useState } from "preact/hooks";
import { newChat, openSession, remove, rename } from "../agent/conversations";
import type { SessionSummary } from "../api/types";
import { currentSessionId, sessions, sessionsLoaded } from "../state/sessions";
import { Account } from "./account";
import { PencilIcon, PlusIcon, TrashIcon } from "./icons";

function RenameForm({ session, done }: { session: SessionSummary; done: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const cancelled = useRef(false);
  // autofocus does nothing for an element added after load; the keyboard must land here.
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const save = () => {
    if (cancelled.current) return;
    const value = input.current?.value.trim();
    done();
    if (value && value !== session.title) void rename(session.id, value);
  };
  return (
    <form
      class="session-rename"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <input
        ref={input}
        class="input"
        name="title"
        aria-label="New name for the chat (Enter saves, Escape cancels)"
        defaultValue={session.title}
        maxLength={200}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key !== "Escape") return;
          cancelled.current = true;
          done();
        }}
      />
    </form>
  );
}

function SessionRow({ session, onPicked }: { session: SessionSummary; onPicked: () => void }) {
  const [editing, setEditing] = useState(false);
  const current = currentSessionId.value === session.id;
  const title = session.title || "Untitled chat";
  if (editing) {
    return (
      <li class="session">
        <RenameForm session={session} done={() => setEditing(false)} />
      </li>
    );
  }
  return (
    <li class="session" aria-current={current ? "page" : undefined}>
      <button
        type="button"
        class="session-open"
        title={title}
        onClick={() => {
          if (!current) void openSession(session.id);
          onPicked();
        }}
      >
        {title}
      </button>
      <span class="session-actions">
        <button
          type="button"
          class="icon-button"
          aria-label={`Rename “${title}”`}
          onClick={() => setEditing(true)}
        >
          <PencilIcon />
        </button>
        <button
          type="button"
          class="icon-button"
          aria-label={`Delete “${title}”`}
          onClick={() => {
            if (confirm(`Delete “${title}”? Its messages are removed for good.`))
              void remove(session.id);
          }}
        >
          <TrashIcon />
        </button>
      </span>
    </li>
  );
}

export function Sidebar({
  open,
  drawer,
  onClose,
}: {
  open: boolean;
  /** On a phone the sidebar is a drawer: out of the Tab order while closed, focused when opened. */
  drawer: boolean;
  onClose: () => void;
}) {
  const list = sessions.value;
  const nav = useRef<HTMLElement>(null);
  useEffect(() => {
    if (drawer && open) nav.current?.querySelector<HTMLElement>(".new-chat")?.focus();
  }, [drawer, open]);
  return (
    <nav
      ref={nav}
      class="sidebar"
      data-open={open}
      inert={drawer && !open}
      aria-label="Conversations"
    >
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        Gradual
      </div>
      <button
        type="button"
        class="button new-chat"
        onClick={() => {
          newChat();
          onClose();
          document.getElementById("message")?.focus();
        }}
      >
        <PlusIcon /> New chat
      </button>
      <div class="session-list-label">Recent</div>
      {!sessionsLoaded.value ? (
        <p class="sidebar-empty">Loading…</p>
      ) : list.length === 0 ? (
        <p class="sidebar-empty">Your conversations will appear here.</p>
      ) : (
        <ul class="session-list">
          {list.map((s) => (
            <SessionRow key={s.id} session={s} onPicked={onClose} />
          ))}
        </ul>
      )}
      <div class="sidebar-foot">
        <Account />
      </div>
    </nav>
  );
}
