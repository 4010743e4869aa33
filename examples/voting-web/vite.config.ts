import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The page is served by the zkiris service under a path of its own (/web/ by default), so every URL
// in the build is relative. Workspace packages are taken from their sources (zkiris-source).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: { conditions: ["zkiris-source", "module", "browser", "production"] },
  worker: { format: "es" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  logLevel: "warn",
});
