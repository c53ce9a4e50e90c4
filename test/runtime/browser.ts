// A minimal browser for runtime tests: keeps cookies, sends Origin like a page on our origin
// would, and walks the OIDC sign-in through the loopback provider.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/index";
import { failWrites, ORIGIN } from "./helpers";

export class Browser {
  readonly cookies = new Map<string, string>();

  /** `send` reaches the Worker; a test can hand it other bindings (production settings…). */
  constructor(
    private readonly send: (request: Request) => Promise<Response> = (r) =>
      exports.default.fetch(r),
  ) {}

  async fetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("origin")) headers.set("origin", ORIGIN);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const url = path.startsWith("http") ? path : `${ORIGIN}${path}`;
    const res = await this.send(new Request(url, { ...init, headers, body, redirect: "manual" }));
    this.remember(res);
    return res;
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** A copy sharing nothing, for simulating a second tab or a replay. */
  clone(): Browser {
    const copy = new Browser(this.send);
    for (const [k, v] of this.cookies) copy.cookies.set(k, v);
    return copy;
  }

  async signInAnonymously(): Promise<Response> {
    return this.fetch("/api/auth/sign-in/anonymous", { method: "POST", json: {} });
  }

  /** Starts OIDC sign-in and follows the provider's redirect; returns the callback path. */
  async startOidc(login: string): Promise<string> {
    const res = await this.fetch("/api/auth/sign-in/social", {
      method: "POST",
      json: {
        provider: "oidc",
        callbackURL: "/",
        errorCallbackURL: "/auth-error",
        loginHint: login,
      },
    });
    if (res.status !== 200) throw new Error(`sign-in/social: ${res.status} ${await res.text()}`);
    const { url } = await res.json<{ url: string }>();
    const authorize = await fetch(url, { redirect: "manual" });
    const location = authorize.headers.get("location");
    if (!location) throw new Error(`provider did not redirect: ${authorize.status}`);
    const callback = new URL(location);
    return `${callback.pathname}${callback.search}`;
  }

  /** Completes a callback path; returns where the app redirected the browser. */
  async finishOidc(callbackPath: string): Promise<URL> {
    const res = await this.fetch(callbackPath);
    const location = res.headers.get("location");
    if (!location) throw new Error(`callback did not redirect: ${res.status} ${await res.text()}`);
    return new URL(location, ORIGIN);
  }

  async signInWithOidc(login: string): Promise<URL> {
    return this.finishOidc(await this.startOidc(login));
  }

  async me() {
    const res = await this.fetch("/api/me");
    if (res.status !== 200) throw new Error(`/api/me: ${res.status} ${await res.text()}`);
    return res.json<Me>();
  }
}

/**
 * A browser talking to the same Worker with some bindings replaced (the Worker's own: the
 * AccountAgent keeps the suite's; see agentWithVars).
 */
export function browserWith(vars: Record<string, string>) {
  return new Browser(async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
}

/**
 * A browser whose anonymous sign-up fails at the last write of its transaction, the virtual
 * key. Its bucket's limit, which no other test's has, is how the failure tells it apart.
 */
export async function browserWhoseSignUpFails() {
  const limit = 7_000_000 + Math.floor(Math.random() * 1_000_000);
  await failWrites(
    "virtual_keys",
    "insert",
    `exists (select 1 from quota_buckets b
      where b.account_id = new.account_id and b.limit_tokens = ${limit})`,
  );
  return { browser: browserWith({ QUOTA_ANON_TOKENS: String(limit) }), limit };
}

export interface Me {
  account_id: string;
  user_id: string | null;
  tier: "anon" | "free" | "pro";
  is_anonymous: boolean;
  name: string | null;
  email: string | null;
  providers: string[];
  quota: { window_start: string; reset_at: string; used_tokens: number; limit_tokens: number };
}

/** A person who signs in with OIDC as `login` (their account made on the way if new). */
export async function signedInWithOidc(login: string) {
  const browser = new Browser();
  await browser.signInWithOidc(login);
  return { browser, me: await browser.me() };
}

let counter = 0;
/** A login name no other test uses, so every test gets its own OIDC identity. */
export function uniqueLogin(label: string): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 6)}`;
}
