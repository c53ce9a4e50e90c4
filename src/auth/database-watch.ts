// Better Auth answers most database failures itself, so they never reach the app's onError: a
// failed session lookup becomes its own 500 (or, through the API, an error the app took for a
// bug), a sign-out whose delete fails still "succeeds", an OAuth callback that cannot read its
// state redirects to the error page. Each auth instance (one per request) therefore watches the
// database calls it makes, through its adapter and the app's hooks, and remembers the first
// one that found the database away; its caller answers with that failure (a 503) instead.
import type { BetterAuthOptions, DBAdapter } from "better-auth";
import { databaseUnavailable } from "../db/errors";

type AdapterFactory = (options: BetterAuthOptions) => DBAdapter<BetterAuthOptions>;

export class DatabaseWatch {
  private failure: { error: unknown } | null = null;

  /** `work`'s result; its failure is remembered when it was the database being away. */
  async watch<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (!this.failure && databaseUnavailable(error)) this.failure = { error };
      throw error;
    }
  }

  /**
   * What Better Auth answered, unless the database was found away on the way: then that failure
   * is thrown, whatever Better Auth made of it, so an outage reads neither as a bug nor as
   * "signed out".
   */
  async outcome<T>(work: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work;
    } catch (error) {
      throw this.failure ? this.failure.error : error;
    }
    if (this.failure) throw this.failure.error;
    return result;
  }

  /** The adapter with every method watched (a transaction's calls inside it, as one). */
  adapter(factory: AdapterFactory): AdapterFactory {
    return (options) => {
      const inner = factory(options);
      const watched: Record<string, unknown> = { ...inner };
      for (const [name, method] of Object.entries(watched)) {
        if (typeof method !== "function") continue;
        watched[name] = (...args: unknown[]) => {
          const result: unknown = Reflect.apply(method, inner, args);
          return result instanceof Promise ? this.watch(result) : result;
        };
      }
      return watched as DBAdapter<BetterAuthOptions>;
    };
  }
}
