import { defineConfig } from "vitest/config";
import { packageTestConfig } from "../../vitest.shared";

// The tests run a real server over a registry, which can load pg. Vitest hands its resolve conditions
// to Node as --conditions; with "import" among them Node resolves require("pg-pool") inside pg to its
// ESM build, which breaks pg. Keep only what this package needs.
const conditions = ["zkiris-source", "node", "default"];
const base = packageTestConfig({ testTimeout: 180_000 });

export default defineConfig({
  ...base,
  resolve: { ...base.resolve, conditions },
  ssr: { ...base.ssr, resolve: { ...base.ssr?.resolve, conditions } },
});
