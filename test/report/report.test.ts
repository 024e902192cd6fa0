/**
 * The report from a real stored run (ProcessBench items verified by the generated tiny model on
 * the embedded engine; numbers meaningless, path real), opened in headless Chromium.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { reliabilityBins } from "../../src/report/charts.js";
import { scriptJson } from "../../src/report/html.js";
import { cli, workdir } from "../cli/run-cli.js";
import { type ProcessBenchItem, REPO_ROOT, SHARED } from "../helpers.js";

const CHROMIUM = "/usr/bin/chromium";
// the flags a root, offline, headless Chromium needs here (see the machine notes)
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("report pieces", () => {
  it("reliability bins", () => {
    expect(reliabilityBins([0.05, 0.95, 0.9, 1], [false, true, false, true])).toEqual([
      { bin: 0, meanScore: 0.05, fractionCorrect: 0, count: 1 },
      { bin: 9, meanScore: (0.95 + 0.9 + 1) / 3, fractionCorrect: 2 / 3, count: 3 },
    ]);
  });
  it("embedded JSON cannot close its script element", () => {
    const s = scriptJson({ t: "</script><script>alert(1)</script>\u2028" });
    expect(s).not.toContain("<");
    expect(JSON.parse(s)).toEqual({ t: "</script><script>alert(1)</script>\u2028" });
  });
});

describe("thinkprm report in a real browser", () => {
  it("renders a stored ProcessBench run: no console errors, plots, a filtering chain viewer, a screenshot", async () => {
    expect(
      existsSync(CHROMIUM),
      "Debian's chromium is needed (apt-get install chromium; .ci/run installs it)",
    ).toBe(true);
    const items = (
      JSON.parse(readFileSync(join(SHARED, "data/processbench/gsm8k.json"), "utf8")) as ProcessBenchItem[]
    ).slice(0, 16);
    const lines = items.map((x) =>
      JSON.stringify({
        id: x.id,
        problem: x.problem,
        steps: x.steps,
        label: x.label,
        correct: x.final_answer_correct,
      }),
    );
    // one hostile record: its text must stay text in the page
    lines.push(
      JSON.stringify({
        id: "hostile",
        problem: '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">',
        steps: ["<b>bold?</b>"],
        label: 0,
      }),
    );
    const dir = workdir({ "pb.jsonl": lines.join("\n") });
    writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
    const v = await cli(
      [
        "verify",
        "-q",
        "-m",
        "tiny.gguf",
        "--threads",
        "1",
        "--max-tokens",
        "12",
        "--on-truncated",
        "force-decision",
        "-i",
        "pb.jsonl",
        "--json",
      ],
      {
        cwd: dir,
      },
    );
    expect(v.stderr).toBe("");
    const r = await cli(["report", "-o", "report.html", "--png", "png"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/wrote report.html \(1 run, 3 plots\)/);
    for (const png of ["scores", "chain-lengths", "reliability"])
      expect(statSync(join(dir, "png", `${png}.png`)).size).toBeGreaterThan(5000);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`file://${join(dir, "report.html")}`);
      expect(await page.locator(".chart svg").count()).toBe(3);
      expect(await page.locator("#chart-reliability svg path").count()).toBeGreaterThan(2);
      expect(await page.locator("#rows tr").count()).toBe(17);

      // filters: every shown row satisfies the filter, and "disagreements" matches the data
      await page.selectOption("#filter", "disagreements");
      const disagreements = await page.locator("#rows tr").count();
      const stored = v.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(disagreements).toBeGreaterThan(0);
      expect(disagreements).toBeLessThanOrEqual(17);
      expect(await page.locator("#count").textContent()).toBe(`${disagreements} of 17 shown`);
      await page.selectOption("#filter", "all");

      // the viewer: the chain with its verdicts, the steps, the gold first error
      await page.locator("#rows tr").first().click();
      await expect.poll(() => page.locator("#detail pre.chain").count()).toBe(1);
      expect(await page.locator("#detail pre.chain").textContent()).toBe(stored[0].chains[0].text);
      expect(await page.locator("#detail ol li").count()).toBe(items[0]!.steps.length);

      // untrusted text stayed text
      await page.locator("#rows tr", { hasText: "hostile" }).click();
      // evaluated in the page, where `window` exists (this file is type-checked without the DOM library)
      expect(await page.evaluate("window.pwned")).toBeUndefined();
      expect(await page.locator("#detail img, #detail b").count()).toBe(0);
      expect(await page.locator("#detail p").first().textContent()).toContain("<img src=x");

      const shot = join(REPO_ROOT, "test-results", "report.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
