// A visitor as the page makes one, for the bench, the drill and the Node-side tests: an
// anonymous sign-in (its session cookie), and a virtual key made with that cookie.

/** Signs a new anonymous visitor in; their cookie and account id. */
export async function signInAnonymously(base) {
  const signIn = await fetch(`${base}/api/auth/sign-in/anonymous`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: "{}",
  });
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const me = await (await fetch(`${base}/api/me`, { headers: { cookie } })).json();
  if (!me.account_id) throw new Error(`sign-in failed: ${signIn.status} ${JSON.stringify(me)}`);
  return { cookie, accountId: me.account_id };
}

/** A new virtual key of the signed-in `cookie`'s account. */
export async function createKey(base, cookie, label) {
  const created = await fetch(`${base}/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, origin: base },
    body: JSON.stringify({ label }),
  });
  const { key } = await created.json();
  if (!key) throw new Error(`key creation failed: ${created.status}`);
  return key;
}
