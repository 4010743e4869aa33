import { defineConfig } from "vitest/config";
import { SkipReporter } from "./packages/test-kit/src/skip-reporter.js";

/**
 * Vitest settings shared by every package: workspace packages resolve to their TypeScript source,
 * and the skip report runs after the default reporter (in CI an unexpected skip fails the run).
 */
export function packageTestConfig(options: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions: ["zkiris-source", "module", "node", "import", "default"] },
    ssr: { resolve: { conditions: ["zkiris-source", "module", "node", "import", "default"] } },
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: options.testTimeout ?? 30_000,
      reporters: ["default", new SkipReporter()],
    },
  });
}
