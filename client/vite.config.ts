// Builds the Preact client into client/dist, which the Worker serves as static assets, with
// Pyodide's core files beside it under pyodide/<version>/ so standard-library Python needs no CDN.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig, type Plugin } from "vite";

const pyodideDir = dirname(createRequire(import.meta.url).resolve("pyodide/package.json"));
const PYODIDE_VERSION: string = JSON.parse(
  readFileSync(join(pyodideDir, "package.json"), "utf8"),
).version;
// What loadPyodide fetches to start an interpreter; package wheels come from packageBaseUrl.
const PYODIDE_CORE = [
  "pyodide.mjs",
  "pyodide.asm.mjs",
  "pyodide.asm.wasm",
  "python_stdlib.zip",
  "pyodide-lock.json",
];

function pyodideCore(): Plugin {
  return {
    name: "gradual:pyodide-core",
    apply: "build",
    generateBundle() {
      for (const file of PYODIDE_CORE) {
        let source: Uint8Array | string = readFileSync(join(pyodideDir, file));
        // The source map is not shipped: a browser asking for it would get the app's page.
        if (file.endsWith(".mjs"))
          source = source.toString().replace(/\n\/\/# sourceMappingURL=.*$/m, "");
        this.emitFile({ type: "asset", fileName: `pyodide/${PYODIDE_VERSION}/${file}`, source });
      }
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  define: { __PYODIDE_VERSION__: JSON.stringify(PYODIDE_VERSION) },
  plugins: [pyodideCore()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Every browser that runs Pyodide supports modulepreload.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  // The Python worker's script has a stable name, so the Worker can give it its own headers.
  worker: {
    format: "es",
    rollupOptions: { output: { entryFileNames: "assets/python-worker-[hash].js" } },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
