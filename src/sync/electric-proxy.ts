// The Electric proxy: builds the upstream shape request itself (table, columns, where and its
// params pinned to the caller, the secret), copies only the protocol's cursor parameters from
// the client, streams the answer back, and makes every cache treat it as the caller's own.
import { ELECTRIC_PROTOCOL_QUERY_PARAMS } from "@electric-sql/client";
import type { AppConfig } from "../config";
import { AppError } from "../errors";

// The protocol's own parameters, minus the subset__* filters: those would let a client add
// its own WHERE on top of the pinned one.
const FORWARDED = ELECTRIC_PROTOCOL_QUERY_PARAMS.filter((p) => !p.startsWith("subset__"));

const PASSED_HEADERS = ["content-type", "etag"];
// A long-poll is held open by Electric for about 20 s before it answers.
const LONG_POLL_GRACE_MS = 30_000;

type ElectricTarget = NonNullable<AppConfig["electric"]>;

function upstreamUrl(target: ElectricTarget, client: URL, shape: Record<string, string>) {
  const url = new URL("/v1/shape", target.url);
  for (const name of FORWARDED) {
    const value = client.searchParams.get(name);
    if (value !== null) url.searchParams.set(name, value);
  }
  for (const [name, value] of Object.entries(shape)) url.searchParams.set(name, value);
  if (target.secret) url.searchParams.set("secret", target.secret);
  return url;
}

/** Electric marks first responses public for a week; here every response is per account. */
function privateCaching(value: string | null): string {
  if (!value) return "private, no-cache";
  return value
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d && !/^s-maxage/i.test(d))
    .map((d) => (d.toLowerCase() === "public" ? "private" : d))
    .join(", ");
}

function responseHeaders(upstream: Response): Headers {
  const headers = new Headers();
  for (const [name, value] of upstream.headers) {
    if (name.startsWith("electric-") || PASSED_HEADERS.includes(name)) headers.set(name, value);
  }
  headers.set("cache-control", privateCaching(upstream.headers.get("cache-control")));
  headers.set("vary", "cookie");
  return headers;
}

export async function proxyShape(
  target: ElectricTarget,
  request: Request,
  shape: Record<string, string>,
): Promise<Response> {
  const client = new URL(request.url);
  const url = upstreamUrl(target, client, shape);
  // An SSE stream answers at once and then stays open; a long-poll answers when there is news.
  const longPoll =
    client.searchParams.get("live") === "true" && client.searchParams.get("live_sse") !== "true";
  const headers = new Headers();
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch) headers.set("if-none-match", ifNoneMatch);
  if (target.access) {
    headers.set("cf-access-client-id", target.access.clientId);
    headers.set("cf-access-client-secret", target.access.clientSecret);
  }

  // The deadline is for Electric's answer, not its body: a live SSE stream stays open for a
  // minute, and a large first snapshot over a slow link may take longer still.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(),
    target.timeoutMs + (longPoll ? LONG_POLL_GRACE_MS : 0),
  );
  const signal = AbortSignal.any([deadline.signal, request.signal]);
  let upstream: Response;
  try {
    upstream = await fetch(url, { headers, signal });
  } catch {
    // Never the upstream's address or error text: the browser sees only what failed.
    if (deadline.signal.aborted) throw new AppError("SYNC_TIMEOUT");
    throw new AppError("SYNC_UPSTREAM");
  } finally {
    clearTimeout(timer);
  }
  // The client handles these itself: 400 (bad cursor parameters), 409 (must refetch), 304.
  if (upstream.ok || [304, 400, 409].includes(upstream.status)) {
    return new Response(upstream.body, {
      status: upstream.status,
      headers: responseHeaders(upstream),
    });
  }
  await upstream.body?.cancel();
  throw new AppError("SYNC_UPSTREAM");
}
