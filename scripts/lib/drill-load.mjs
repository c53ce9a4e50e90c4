// The fault drill's load: anonymous accounts, half calling with their session cookie on
// POST /api/inference (Better Auth's session lookup on every request) and half with a virtual
// key on POST /v1/chat/completions (the key path, routed from the isolate's cache), each running
// a few loops of streamed turns. Every response is recorded: when it started and was answered,
// its status, its X-Session-Id, and how its stream ended.
import { random } from "./drill-plan.mjs";
import { createKey, signInAnonymously } from "./visitor.mjs";

/** Longer than any turn can take (stalls end at UPSTREAM_TIMEOUT_MS): past it, a hang. */
const HANG_MS = 30_000;
/** Share of the turns that start inside the model's fault window and carry a fault. */
const MODEL_FAULT_SHARE = 0.6;

/**
 * Signs in `count` anonymous accounts; every other one gets a virtual key and calls with it.
 * @returns {Promise<{ id: string, via: "session" | "key", cookie: string, key: string | null }[]>}
 */
export async function signUpAccounts(base, count) {
  const accounts = [];
  for (let i = 0; i < count; i++) {
    const { cookie, accountId } = await signInAnonymously(base);
    const via = i % 2 === 0 ? "session" : "key";
    const key = via === "key" ? await createKey(base, cookie, "drill") : null;
    accounts.push({ id: accountId, via, cookie, key });
  }
  return accounts;
}

/**
 * @typedef {object} TurnRecord
 * @property {number} id
 * @property {string} requestId Sent as X-Request-Id, which names its usage row.
 * @property {string} account
 * @property {"session" | "key"} via
 * @property {string} route
 * @property {"cut" | "stall" | null} fault The model fault its directive asked for.
 * @property {string} text The user message, unique to the turn (its number is in it).
 * @property {string | null} askedSession The session it continued, if any.
 * @property {number} started ms on the drill's clock
 * @property {number | null} answered When the status arrived.
 * @property {number | null} ended
 * @property {number | null} status null when no answer came (the client left first, or a cut).
 * @property {string | null} sessionId X-Session-Id.
 * @property {"done" | "error_event" | "truncated" | "client_abort" | "cut" | "hung" | "json" | null} end
 *   How it ended: [DONE]; a final SSE error event; closed without either; the drill hung up;
 *   the connection broke; no end within HANG_MS; a JSON answer (any non-200).
 * @property {string | null} detail The body of a non-200, the error event's code, or the error.
 * @property {number} chunks Chunks with text that reached the caller.
 * @property {string} [logged] The error the Worker logged for it, if any (set after the run).
 */

export class Load {
  /** @type {TurnRecord[]} */
  records = [];
  /** Turns under way, with what it takes to hang up on them. */
  inflight = new Set();
  /** The model's fault window ends here (drill clock); until then turns may carry a fault. */
  modelFaultUntil = -1;
  #seq = 0;

  /**
   * @param {{ base: string, accounts: Awaited<ReturnType<typeof signUpAccounts>>,
   *   streamsPerAccount: number, seed: number, clock: () => number,
   *   calm: (from: number, to: number) => boolean }} options `calm` says whether the database
   *   stayed up over a span: only then is a session known to hold its turns, and continued.
   */
  constructor(options) {
    this.options = options;
  }

  /** Runs every loop until `endAt` on the drill's clock; resolves once every turn has ended. */
  run(endAt) {
    const { accounts, streamsPerAccount, seed } = this.options;
    const loops = accounts.flatMap((account, a) =>
      Array.from({ length: streamsPerAccount }, (_, s) =>
        // A generator per loop: the other loops' timing does not shift its draws.
        this.#loop(account, random(seed + 1 + a * streamsPerAccount + s), endAt),
      ),
    );
    return Promise.all(loops);
  }

  async #loop(account, rng, endAt) {
    const { clock, calm } = this.options;
    let session = null;
    // Spread the loops' first turns over a moment, as real callers arrive.
    await sleep(rng.int(0, 500));
    while (clock() < endAt) {
      const record = await this.#turn(account, rng, session && rng.next() < 0.5 ? session : null);
      const settled =
        record.status === 200 &&
        record.end === "done" &&
        calm(record.started, record.ended ?? clock());
      session = settled ? record.sessionId : null;
      await sleep(rng.int(100, 400));
    }
  }

  /** One streamed turn, recorded as it goes. */
  async #turn(account, rng, session) {
    const { base, clock } = this.options;
    const id = ++this.#seq;
    const tokens = rng.int(20, 60);
    const directive = { tokens, chunk_delay_ms: rng.int(15, 35) };
    let fault = null;
    if (clock() < this.modelFaultUntil && rng.next() < MODEL_FAULT_SHARE) {
      fault = rng.next() < 0.5 ? "cut" : "stall";
      // Past the first few tokens, so the stream is under way when it breaks.
      directive[`${fault}_after_tokens`] = rng.int(3, tokens - 2);
    }
    const text = `drill turn ${id}\n@scripted ${JSON.stringify(directive)}`;
    const route = account.via === "session" ? "/api/inference" : "/v1/chat/completions";
    /** @type {TurnRecord} */
    const record = {
      id,
      requestId: `drill-${this.options.seed}-${id}`,
      account: account.id,
      via: account.via,
      route,
      fault,
      text,
      askedSession: session,
      started: clock(),
      answered: null,
      ended: null,
      status: null,
      sessionId: null,
      end: null,
      detail: null,
      chunks: 0,
    };
    this.records.push(record);
    const hangUp = new AbortController();
    const entry = { record, hangUp, answered: false };
    this.inflight.add(entry);
    const auth =
      account.via === "session"
        ? { cookie: account.cookie, origin: base }
        : { authorization: `Bearer ${account.key}` };
    try {
      const res = await fetch(`${base}${route}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": record.requestId, ...auth },
        body: JSON.stringify({
          model: "gpt-5-mini",
          stream: true,
          stream_options: { include_usage: true },
          max_completion_tokens: 100,
          messages: [{ role: "user", content: text }],
          ...(session && { session_id: session }),
        }),
        signal: AbortSignal.any([hangUp.signal, AbortSignal.timeout(HANG_MS)]),
      });
      record.status = res.status;
      record.answered = clock();
      record.sessionId = res.headers.get("x-session-id");
      entry.answered = true;
      if (res.status === 200) await readStream(res, record);
      else {
        record.end = "json";
        record.detail = (await res.text()).slice(0, 300);
      }
    } catch (error) {
      record.end = hangUp.signal.aborted
        ? "client_abort"
        : error?.name === "TimeoutError"
          ? "hung"
          : "cut";
      if (record.end !== "client_abort") record.detail = String(error?.cause?.message ?? error);
    } finally {
      record.ended = clock();
      this.inflight.delete(entry);
    }
    return record;
  }

  /**
   * Hangs up on half of the turns now streaming (at least one): the burst of clients leaving
   * mid-stream. Returns how many.
   */
  disconnectBurst(rng) {
    const streaming = [...this.inflight].filter((e) => e.answered && e.record.status === 200);
    const chosen = streaming.filter(() => rng.next() < 0.5);
    if (!chosen.length && streaming.length) chosen.push(rng.pick(streaming));
    for (const entry of chosen) entry.hangUp.abort();
    return chosen.length;
  }

  /** Turns whose answer is still streaming or awaited. */
  get streaming() {
    return this.inflight.size;
  }
}

/** Reads an SSE answer to its end, noting [DONE] or the final error event. */
async function readStream(res, record) {
  const decoder = new TextDecoder();
  let buffer = "";
  let done = false;
  let failure = null;
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let cut = buffer.indexOf("\n\n");
    for (; cut >= 0; cut = buffer.indexOf("\n\n")) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = event.startsWith("data: ") ? event.slice(6) : "";
      if (data === "[DONE]") done = true;
      else if (data.includes('"error"')) failure = JSON.parse(data).error?.code ?? data;
      else if (data.includes('"content":"')) record.chunks += 1;
    }
  }
  record.end = done ? "done" : failure ? "error_event" : "truncated";
  if (failure) record.detail = failure;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
