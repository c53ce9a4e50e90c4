// Who is signed in, and the providers to sign in with: linking keeps this browser's history.
import { signInWith, signOutAndRestart } from "../agent/account";
import type { Provider } from "../api/account";
import { config, me } from "../state/account";

export function SignInButtons({ compact = false }: { compact?: boolean }) {
  const offered = config.value?.sign_in;
  const who = me.value;
  if (!offered || !who) return null;
  const providers: { id: Provider; name: string }[] = [
    ...(offered.google ? [{ id: "google" as const, name: "Google" }] : []),
    ...(offered.github ? [{ id: "github" as const, name: "GitHub" }] : []),
    ...(offered.oidc ? [{ id: "oidc" as const, name: offered.oidc.name }] : []),
  ];
  if (!providers.length) return null;
  return (
    <>
      {providers.map((p) => (
        <button
          type="button"
          key={p.id}
          class={`button${compact ? " button-small" : ""}`}
          onClick={() => void signInWith(p.id, who)}
        >
          Sign in with {p.name}
        </button>
      ))}
    </>
  );
}

export function Account() {
  const who = me.value;
  if (!who) return null;
  if (who.is_anonymous) {
    const canSignIn = Boolean(
      config.value?.sign_in.google || config.value?.sign_in.github || config.value?.sign_in.oidc,
    );
    return (
      <div class="account">
        <p class="muted">
          You're using Gradual without an account.{" "}
          {canSignIn ? "Sign in to keep this history everywhere and get a higher daily limit." : ""}
        </p>
        <SignInButtons />
      </div>
    );
  }
  const name = who.name ?? who.email ?? "Signed in";
  return (
    <div class="account">
      <div class="account-who">
        <span class="avatar" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
        </span>
        <span>
          {name}
          {who.email && who.name ? <span class="muted"> · {who.email}</span> : null}
        </span>
      </div>
      <button type="button" class="button button-small" onClick={() => void signOutAndRestart()}>
        Sign out
      </button>
    </div>
  );
}
