// Values the Node-side global setups hand to runtime tests through vitest's inject().
declare module "vitest" {
  export interface ProvidedContext {
    blackHolePort: number;
    oidcIssuer: string;
    scriptedModelUrl: string;
    electricUrl: string;
    /** An Electric stand-in that holds live requests open until a test ends them. */
    electricHeldUrl: string;
  }
}

export {};
