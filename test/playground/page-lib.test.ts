/**
 * The page's copy of the library's splitters (page-lib.generated.ts) is a fresh bundle of the
 * library's sources, runs on its own in an empty global scope (as in a browser), and answers
 * exactly what the library answers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { splitSteps } from "../../src/core/step-split.js";
import { splitChain, splitMath } from "../../src/report/math-text.js";
import { PLAYGROUND_EXAMPLES } from "../../src/server/playground/examples.js";
import { PAGE_LIB } from "../../src/server/playground/page-lib.generated.js";
import { fixture, type ProcessBenchItem, SHARED } from "../helpers.js";
import { bundlePageLib, GENERATED } from "./page-lib-bundle.js";

describe("the playground's splitters", () => {
  it("are a fresh bundle of the library's sources", async () => {
    const fresh = await bundlePageLib();
    expect(
      readFileSync(GENERATED, "utf8") === fresh,
      "src/server/playground/page-lib.generated.ts is stale: run npx tsx test/playground/page-lib-bundle.ts",
    ).toBe(true);
  });

  it("run alone in an empty scope and answer what the library answers", () => {
    const lib = runInNewContext(`${PAGE_LIB};thinkprmText`, {}) as {
      splitSteps: typeof splitSteps;
      splitMath: typeof splitMath;
      splitChain: typeof splitChain;
    };
    // real MATH solutions from ProcessBench, laid out each way a user may paste them
    const items = (
      JSON.parse(readFileSync(join(SHARED, "data/processbench/math.json"), "utf8")) as ProcessBenchItem[]
    ).slice(0, 40);
    const solutions = [
      ...PLAYGROUND_EXAMPLES.map((x) => x.solution),
      ...items.flatMap((x) => [
        x.steps.join("\n\n"),
        x.steps.map((s, i) => `Step ${i + 1}: ${s}`).join("\n"),
        x.steps.join(" "),
      ]),
    ];
    for (const s of solutions) expect(lib.splitSteps(s)).toEqual(splitSteps(s));
    const texts = [...items.flatMap((x) => [x.problem, ...x.steps]), "$20 for a shirt and $30 for a hat"];
    for (const t of texts) expect(lib.splitMath(t)).toEqual(splitMath(t));
    expect(texts.some((t) => splitMath(t).some((s) => s[0] === "m" && s[1].includes("\\frac")))).toBe(true);
    const chain = readFileSync(fixture("chains/linear-equation-incorrect.txt"), "utf8");
    expect(lib.splitChain(chain, 2)).toEqual(splitChain(chain, 2));
    expect(lib.splitChain(chain, 2).filter((s) => s[0] === "v")).toHaveLength(2);
  });
});
