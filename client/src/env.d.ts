/// <reference types="vite/client" />
// Build-time constants (client/vite.config.ts).
declare const __PYODIDE_VERSION__: string;
