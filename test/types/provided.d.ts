// Values the Node-side global setups hand to runtime tests through vitest's inject().
declare module "vitest" {
  export interface ProvidedContext {
    blackHolePort: number;
    oidcIssuer: string;
    scriptedModelUrl: string;
    electricUrl: string;
    /** An Electric stand-in that holds live requests open until a test ends them. */
    electricHeldUrl: string;
    /** The datasets' stand-in source (test/fixtures/datasets-upstream.mjs), without a "/". */
    datasetsUpstreamUrl: string;
    /** test/fixtures/datasets/'s files by path under it (the catalog's paths), base64. */
    datasetFixtures: Record<string, string>;
  }
}

export {};
