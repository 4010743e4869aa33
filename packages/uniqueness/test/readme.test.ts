import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import type { SearchResult, UniquenessIndex } from "../src/index.js";

it("runs the README example and gets the values its comments state", async () => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  expect(code).toContain(
    '// result.best: { id: "enrolment-1", distance: 0, decisionDistance: 0, differingBits: 0, usableBits: 3584, shift: 0 }',
  );
  expect(code).toContain("// result.matchCount: 1, result.undecidableCount: 0, result.compared: 2");
  const file = fileURLToPath(new URL("./readme-example.generated.ts", import.meta.url));
  writeFileSync(file, `${code}\nexport { index, result };\n`);
  try {
    const { index, result } = (await import(file)) as { index: UniquenessIndex; result: SearchResult };
    expect(result.best).toEqual({
      id: "enrolment-1",
      distance: 0,
      // More usable bits than the reference: decided on the raw distance.
      decisionDistance: 0,
      differingBits: 0,
      usableBits: 3584,
      shift: 0,
    });
    expect(result.matchCount).toBe(1);
    expect(result.undecidableCount).toBe(0);
    expect(result.compared).toBe(2);
    expect(index.size).toBe(1);
  } finally {
    rmSync(file, { force: true });
  }
});
