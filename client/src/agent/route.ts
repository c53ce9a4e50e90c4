// The open conversation lives in the URL (/s/<id>), so a reload or a shared tab reopens it.
const PATH = /^\/s\/([0-9a-f-]{36})\/?$/i;

export function sessionInUrl(): string | null {
  return PATH.exec(location.pathname)?.[1] ?? null;
}

export function showSessionInUrl(id: string | null) {
  const path = id ? `/s/${id}` : "/";
  if (location.pathname !== path) history.pushState(null, "", path);
}
