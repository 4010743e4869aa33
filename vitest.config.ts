import { defineConfig } from "vitest/config";
import { packageTestConfig } from "./vitest.shared";

// Vitest hands its resolve conditions to Node as --conditions; "import" among them would make
// require("pg-pool") inside pg load its ESM build. Keep only what the workspace needs.
const conditions = ["zkiris-source", "node", "default"];
const base = packageTestConfig({ testTimeout: 600_000 });

export default defineConfig({
  ...base,
  resolve: { ...base.resolve, conditions },
  ssr: { ...base.ssr, resolve: { ...base.ssr?.resolve, conditions } },
});
