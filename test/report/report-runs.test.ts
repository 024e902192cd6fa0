/**
 * A report over several runs, opened in headless Chromium: two ProcessBench runs of K scripted
 * chains (real verifier, replayed chains with math and verdicts) and two best-of-N runs, side by
 * side: a column and a colour per run, every run's plots, all K chains, and the jump from the
 * table to the chain.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { splitChain } from "../../src/report/math-text.js";
import { RunStore } from "../../src/store/run-store.js";
import { cli, workdir } from "../cli/run-cli.js";
import { REPO_ROOT, SHARED } from "../helpers.js";
import { expectedShape, openReport, typesetShape, viewportTop, withBrowser } from "./browser.js";

const CHAINS = [
  "Let me check each step.\n\nStep 1: Since \\(1/3 \\times 18 = 6\\) and $x^2 + y^2 = z^2$, the step is \\boxed{correct}\n\n" +
    "Step 2: We need $$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$ which holds. \\boxed{correct}\n\n" +
    "Step 3: The claim \\[\\frac{12}{6} = 3\\] is wrong. \\boxed{incorrect}\n",
  "Step 1: The sum $\\frac{a}{b} + \\sqrt{2}$ is fine. \\boxed{correct}\nStep 2: \\boxed{\\text{incorrect}}\n",
  { text: "Step 1: Looking at \\(\\int_0^1 x\\,dx = \\tfrac12\\) we see that", finishReason: "length" },
];

interface StoredChain {
  text: string;
  valid: boolean;
}

describe("thinkprm report over several runs", () => {
  it("shows runs side by side, every run's plots, all K chains, and jumps to the chain", async () => {
    const dir = workdir({
      "a.json": JSON.stringify({ replies: CHAINS, probabilities: "prompt-hash" }),
      "b.json": JSON.stringify({
        replies: [(CHAINS[1] as string).replace("is fine", "is fine indeed"), CHAINS[0]],
        probabilities: "prompt-hash",
      }),
    });
    const pb = (script: string, k: string) =>
      cli(
        [
          "eval",
          "processbench",
          "--subsets",
          "gsm8k,math",
          "--data-dir",
          join(SHARED, "data/processbench"),
        ].concat([
          "--limit",
          "5",
          "-e",
          `scripted:${script}`,
          "-k",
          k,
          "--temperature",
          "0.7",
          "-q",
          "--json",
        ]),
        { cwd: dir },
      );
    const bon = (agg: string) =>
      cli(
        ["eval", "bon", "-q", "--agg", agg, "-c"].concat(
          join(SHARED, "data/bon/math500_llama3.2-3b-instruct_n4_rlhflow-prm_first10.jsonl"),
        ),
        { cwd: dir },
      );
    for (const r of [await pb("a.json", "3"), await pb("b.json", "2"), await bon("last"), await bon("min")])
      expect(r.code, r.stderr).toBe(0);
    const store = new RunStore(join(dir, ".thinkprm/runs.sqlite"));
    const runs = store.listRuns();
    const firstResults = store.results(runs[0]!.id);
    store.close();
    expect(runs.map((r) => r.command)).toEqual([
      "eval-processbench",
      "eval-processbench",
      "eval-bon",
      "eval-bon",
    ]);
    const ids = runs.map((r) => r.id);

    const r = await cli(["report", ...ids.map((id) => id.slice(0, -2)), "-o", "runs.html"], { cwd: dir });
    expect(r.stderr).toBe("");
    // scores, chain lengths, reliability (one line per run), F1 scaling ×2, best-of-N ×2
    expect(r.stdout).toBe("wrote runs.html (4 runs, 7 plots)\n");

    await withBrowser(async (browser) => {
      const { page, errors, requests } = await openReport(browser, join(dir, "runs.html"), {
        width: 1280,
        height: 800,
      });
      // a column per run, headed in the run's colour
      const heads = page.locator("#run-table thead th");
      expect(await heads.allTextContents()).toEqual(["", ...ids]);
      const colours = await page
        .locator("#run-table thead th .chip")
        .evaluateAll((xs) =>
          xs.map((x) => (x as unknown as { style: { background: string } }).style.background),
        );
      expect(new Set(colours).size).toBe(4);
      expect(await page.locator("#metric-table thead th").count()).toBe(5);

      // every run's curves, none pooled
      for (const id of ids.slice(0, 2)) {
        expect(await page.locator(`#chart-F1-vs-tokens-${id} svg`).count()).toBe(1);
        expect(await page.locator(`#chart-scores svg`).textContent()).toContain(id);
        expect(await page.locator(`#chart-chain-lengths svg`).textContent()).toContain(id);
      }
      for (const id of ids.slice(2)) {
        const chart = page.locator(`#chart-accuracy-vs-n-${id}`);
        expect(await chart.locator("g.mark-line.role-mark path").count()).toBe(4); // naive, weighted, majority, pass@n
        expect(await chart.locator("h3").textContent()).toContain(id);
      }
      // the reliability diagram: one line per run, in the run's colour, and each run's ECE
      const lines = page.locator("#chart-reliability g.mark-line.role-mark path");
      expect(await lines.count()).toBe(2);
      expect(
        await lines.evaluateAll((xs) =>
          xs.map((x) => (x as unknown as { getAttribute(a: string): string }).getAttribute("stroke")),
        ),
      ).toEqual(["#4c78a8", "#f58518"]);
      const note = await page.locator("#chart-reliability .note").textContent();
      for (const id of ids.slice(0, 2))
        expect(note).toMatch(new RegExp(`${id}: ECE \\d\\.\\d{4} over 10 solutions`));

      // the viewer lists both runs' items; a run filter narrows it
      const rows = page.locator("#rows tr");
      expect(await rows.count()).toBe(20);
      await page.selectOption("#run-filter", ids[1]!);
      expect(await rows.count()).toBe(10);
      await page.selectOption("#run-filter", "all");

      // all K chains of an item, each with its verdicts highlighted, validity, score and issues
      await page.evaluate("window.scrollTo(0, 0)");
      await rows.first().click();
      const tabs = page.locator("#detail .tabs button");
      expect(await tabs.allTextContents()).toEqual([
        expect.stringMatching(/^chain 1 · 0\.\d{3}$/),
        expect.stringMatching(/^chain 2 · 0\.\d{3}$/),
        "chain 3 · invalid",
      ]);
      const stored = firstResults[0]!.value as { chains: StoredChain[]; stepCount: number };
      for (let k = 0; k < 3; k++) {
        await tabs.nth(k).click();
        expect(await page.locator("#detail .chain-panel").getAttribute("data-chain")).toBe(String(k));
        const shape = await typesetShape(page.locator("#detail .tex.chain"));
        expect(shape).toMatchObject(expectedShape(splitChain(stored.chains[k]!.text, stored.stepCount)));
        expect(shape.errors).toBe(0);
        expect(shape.mathText).not.toMatch(/\\(frac|times|sqrt|int)/);
        expect(shape.text).not.toMatch(/\\(frac|boxed|times)|\$/);
        expect(await page.locator("#detail .chain-meta").textContent()).toContain(
          stored.chains[k]!.valid ? "✓ valid" : "✗ invalid",
        );
      }
      expect(await page.locator("#detail .issues.bad").textContent()).toContain("truncated");
      await tabs.first().click();
      expect(await page.locator("#detail .verdict.v-correct").count()).toBe(2);
      expect(await page.locator("#detail .verdict.v-incorrect").count()).toBe(1);
      expect(await page.locator("#detail .verdict sup").allTextContents()).toEqual([
        "step 1",
        "step 2",
        "step 3",
      ]);

      // the jump: a row far down the list brings its item and chain into view, and into the URL
      await page.evaluate("window.scrollTo(0, 0)");
      await rows.nth(17).click();
      const detail = await viewportTop(page, "#detail");
      expect(detail.top).toBeGreaterThanOrEqual(0);
      expect(detail.top).toBeLessThan(50);
      const chain = await viewportTop(page, "#detail .chain-panel");
      expect(chain.top).toBeLessThan(chain.height - 100);
      expect(await page.locator("#detail").getAttribute("data-item")).toBe("17");
      expect(await page.evaluate("location.hash")).toBe("#item-17");
      // the link opens the same item
      await page.reload();
      expect(await page.locator("#detail").getAttribute("data-item")).toBe("17");
      expect(await page.locator("#rows tr.sel").getAttribute("data-index")).toBe("17");
      // keyboard: ↓ opens the next item
      await page.locator("#rows tr.sel").press("ArrowDown");
      expect(await page.locator("#detail").getAttribute("data-item")).toBe("18");

      // on a narrow window the chain sits below the list, and the jump still lands on it
      await page.setViewportSize({ width: 800, height: 800 });
      await page.evaluate("window.scrollTo(0, 0)");
      await rows.nth(3).click();
      const below = await viewportTop(page, "#detail");
      expect(below.top).toBeGreaterThanOrEqual(0);
      expect(below.top).toBeLessThan(50);
      await page.setViewportSize({ width: 1280, height: 800 });

      await page.screenshot({ path: join(REPO_ROOT, "test-results", "report-runs.png"), fullPage: true });
      expect(errors).toEqual([]);
      // the page itself (loaded, then reloaded) and nothing else
      expect(requests).toEqual([`file://${join(dir, "runs.html")}`, `file://${join(dir, "runs.html")}`]);
    });

    // an ambiguous prefix is an error, not a guess
    const ambiguous = await cli(["report", ids[0]!.slice(0, 4), "-o", "x.html"], { cwd: dir });
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.stderr).toMatch(/matches 4 runs/);
  }, 120_000);
});
