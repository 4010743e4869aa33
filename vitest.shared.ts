import { defineConfig } from "vitest/config";

/** Vitest settings shared by every package: workspace packages resolve to their TypeScript source. */
export function packageTestConfig(options: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions: ["zkiris-source", "module", "node", "import", "default"] },
    ssr: { resolve: { conditions: ["zkiris-source", "module", "node", "import", "default"] } },
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: options.testTimeout ?? 30_000,
    },
  });
}
