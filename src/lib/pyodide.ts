// Where the browser's Python fetches package wheels: PYODIDE_PACKAGES_URL, or Pyodide's CDN for
// the version the client ships (the same npm package, so the two cannot drift apart).
import pyodide from "pyodide/package.json";
import type { AppConfig } from "../config";

export const PYODIDE_VERSION: string = pyodide.version;

export function packagesUrl(config: AppConfig): string {
  return config.pyodidePackagesUrl ?? `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`;
}
