// Builds the Preact client into client/dist, which the Worker serves as static assets.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: "dist", emptyOutDir: true },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
