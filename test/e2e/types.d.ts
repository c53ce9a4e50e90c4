// What the browser tests' global setup hands to them through vitest's inject().
declare module "vitest" {
  export interface ProvidedContext {
    e2e: {
      databaseUrl: string;
      oidcIssuer: string;
      /** The datasets' source stand-in (GET /__requests counts requests per path). */
      datasetsUrl: string;
      /** The app without live sync (plain reads) and with it (Electric stand-in). */
      plain: { url: string; modelUrl: string };
      live: { url: string; modelUrl: string };
    };
  }
}

export {};
