/**
 * The report from a real stored run (ProcessBench items verified by the generated tiny model on
 * the embedded engine; numbers meaningless, path real), opened in headless Chromium: typeset
 * math, hostile text and TeX kept inert, the fixed reliability line, no request leaving the page.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reliabilityBins } from "../../src/core/calibration.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { ece } from "../../src/eval/calibration.js";
import { scriptJson } from "../../src/report/html.js";
import { katexAssets } from "../../src/report/katex-assets.js";
import { splitChain, splitMath } from "../../src/report/math-text.js";
import { cli, workdir } from "../cli/run-cli.js";
import { type ProcessBenchItem, REPO_ROOT, SHARED } from "../helpers.js";
import { expectedShape, openReport, typesetShape, withBrowser } from "./browser.js";

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
  it("embeds KaTeX with its fonts as data: URLs and nothing to fetch", () => {
    const k = katexAssets();
    expect(k.css.match(/@font-face/g)?.length).toBe(20);
    expect(k.css.match(/url\(data:font\/woff2;base64,/g)?.length).toBe(20);
    expect(k.css).not.toMatch(/url\((?!data:)/);
    expect(k.script).toContain("renderToString");
  });
});

/** TeX an attacker (a candidate solution, a model) could write. */
const HOSTILE_TEX = [
  "$\\href{javascript:window.pwned=3}{click me}$",
  "$\\url{javascript:window.pwned=4}$",
  "$\\htmlId{injected}{x}$ $\\htmlClass{injected}{x}$ $\\htmlStyle{position:fixed;top:0;left:0}{x}$ $\\htmlData{a=b}{x}$",
  "$\\includegraphics[height=1em]{https://example.invalid/x.png}$ $\\textcolor{url(https://example.invalid/c)}{x}$",
  "$\\rule{100000em}{100000em}$ and $\\kern{90000em}x$",
  "$\\def\\a{\\a\\a}\\a$",
  "$\\def\\b#1{#1#1}\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{\\b{x}}}}}}}}}}}}}}}}}}}}$",
  "$\\gdef\\leak{LEAKED}$ then $\\leak$",
];

describe("thinkprm report in a real browser", () => {
  it("renders a stored ProcessBench run: typeset math, inert hostile input, the reliability line, no requests", async () => {
    const load = (s: string) =>
      JSON.parse(readFileSync(join(SHARED, "data/processbench", `${s}.json`), "utf8")) as ProcessBenchItem[];
    const mixed = (xs: ProcessBenchItem[], n: number) => [
      ...xs.filter((x) => x.label === -1).slice(0, n),
      ...xs.filter((x) => x.label >= 0).slice(0, n),
    ];
    const items = [...mixed(load("gsm8k"), 5), ...mixed(load("math"), 3)];
    const lines = items.map((x) =>
      JSON.stringify({
        id: x.id,
        problem: x.problem,
        steps: x.steps,
        label: x.label,
        correct: x.final_answer_correct,
      }),
    );
    // one hostile record: its text must stay text in the page, its TeX must stay inert
    lines.push(
      JSON.stringify({
        id: "hostile",
        problem: '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">',
        steps: ["<b>bold?</b> <a href='javascript:window.pwned=5'>link</a>", ...HOSTILE_TEX],
        label: 0,
      }),
    );
    const dir = workdir({ "pb.jsonl": lines.join("\n") });
    writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
    const v = await cli(
      ["verify", "-q", "-m", "tiny.gguf", "--threads", "1", "--max-tokens", "12"].concat([
        "--on-truncated",
        "force-decision",
        "-i",
        "pb.jsonl",
        "--json",
      ]),
      { cwd: dir },
    );
    expect(v.stderr).toBe("");
    const stored = v.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { score: number | null; chains: { text: string }[]; stepCount: number });
    expect(stored).toHaveLength(items.length + 1);
    const r = await cli(["report", "-o", "report.html", "--png", "png"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/wrote report.html \(1 run, 3 plots\)/);
    for (const png of ["scores", "chain-lengths", "reliability"])
      expect(statSync(join(dir, "png", `${png}.png`)).size).toBeGreaterThan(5000);

    // what the reliability diagram must show: every scored, labelled item, one point per bin
    const gold = [...items.map((x) => x.final_answer_correct), false];
    const scored = stored.flatMap((s, i) =>
      s.score === null ? [] : [{ score: s.score, correct: gold[i]! }],
    );
    const bins = reliabilityBins(
      scored.map((s) => s.score),
      scored.map((s) => s.correct),
    );
    expect(bins.length).toBeGreaterThan(2);

    await withBrowser(async (browser) => {
      const { page, errors, requests } = await openReport(browser, join(dir, "report.html"));
      const rows = page.locator("#rows tr");
      expect(await page.locator(".chart svg").count()).toBe(3);
      expect(await rows.count()).toBe(items.length + 1);

      // the reliability diagram: one line through all bins in score order, a point per bin, its ECE
      const line = page.locator("#chart-reliability g.mark-line.role-mark path");
      expect(await line.count()).toBe(1);
      const vertices = [...((await line.getAttribute("d")) ?? "").matchAll(/[ML]([\d.]+),([\d.]+)/g)];
      expect(vertices).toHaveLength(bins.length);
      const xs = vertices.map((m) => Number(m[1]));
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
      expect(await page.locator("#chart-reliability g.mark-symbol.role-mark path").count()).toBe(bins.length);
      const e = ece(
        scored.map((s) => s.score),
        scored.map((s) => s.correct),
      );
      expect(await page.locator("#chart-reliability .note").textContent()).toBe(
        `ECE ${e.toFixed(4)} over ${scored.length} solutions`,
      );
      // histograms say what they count, in which unit
      const tokenAxes = await page.locator("#chart-chain-lengths svg").textContent();
      expect(tokenAxes).toContain("generated tokens per chain");
      expect(tokenAxes).toContain("chains (count)");
      expect(await page.locator("#chart-scores svg").textContent()).toContain("P(Yes) / (P(Yes) + P(No))");

      // filters: "disagreements" matches the data
      await page.selectOption("#filter", "disagreements");
      const disagreements = await rows.count();
      expect(disagreements).toBeGreaterThan(0);
      expect(await page.locator("#count").textContent()).toBe(
        `${disagreements} of ${items.length + 1} shown`,
      );
      await page.selectOption("#filter", "all");

      // the viewer: the chain (text, math and verdicts where the parser found them), the steps
      await rows.first().click();
      expect(await page.locator("#detail .tabs button").count()).toBe(1);
      expect(await typesetShape(page.locator("#detail .tex.chain"))).toMatchObject(
        expectedShape(splitChain(stored[0]!.chains[0]!.text, stored[0]!.stepCount)),
      );
      expect(await page.locator("#detail ol.steps li").count()).toBe(items[0]!.steps.length);

      // math typeset by KaTeX, no raw LaTeX left in what was typeset, with KaTeX's own fonts
      const math = items.findIndex(
        (x) => x.id.startsWith("math") && /\\frac/.test(x.problem + x.steps.join("")),
      );
      expect(math).toBeGreaterThanOrEqual(0);
      await rows.nth(math).click();
      const problem = await typesetShape(page.locator("#detail .tex.problem"));
      expect(problem).toMatchObject(expectedShape(splitMath(items[math]!.problem)));
      const steps = await Promise.all(
        items[math]!.steps.map((_, i) => typesetShape(page.locator("#detail ol.steps li .tex").nth(i))),
      );
      for (const [i, s] of steps.entries())
        expect(s).toMatchObject(expectedShape(splitMath(items[math]!.steps[i]!)));
      const all = [problem, ...steps];
      expect(all.reduce((n, s) => n + s.typeset, 0)).toBeGreaterThan(3);
      for (const s of all) expect(s.typeset).toBe(s.math);
      expect(all.reduce((n, s) => n + s.errors, 0)).toBe(0);
      for (const s of all) {
        expect(s.mathText).not.toMatch(/\\(frac|times|sqrt|cdot)/);
        expect(s.text).not.toMatch(/\\(frac|times|sqrt|cdot|boxed)\b|\$/);
      }
      expect(await page.locator("#detail .katex .mfrac").count()).toBeGreaterThan(0);
      await page.evaluate("document.fonts.ready");
      expect(await page.evaluate("document.fonts.check('16px KaTeX_Main')")).toBe(true);

      // untrusted text stayed text; untrusted TeX stayed inert and bounded
      const hostile = rows.filter({ hasText: "hostile" });
      await hostile.click();
      expect(await page.evaluate("window.pwned")).toBeUndefined();
      expect(await page.locator("#detail img, #detail b, #detail a, #detail script").count()).toBe(0);
      expect(await page.locator("#injected, .injected, [data-a]").count()).toBe(0);
      expect(await page.locator("#detail .tex.problem").textContent()).toContain("<img src=x");
      const stepBoxes = page.locator("#detail ol.steps li");
      expect(await stepBoxes.count()).toBe(1 + HOSTILE_TEX.length);
      for (let i = 0; i < HOSTILE_TEX.length + 1; i++) {
        const box = await stepBoxes.nth(i).boundingBox();
        expect(box!.height, `hostile step ${i}`).toBeLessThan(400);
      }
      const expansion = page.locator("#detail .katex-error").filter({ hasText: "\\def\\a" });
      expect(await expansion.getAttribute("title")).toMatch(/Too many expansions/);
      // each formula is typeset on its own: a \gdef in one cannot define a macro for the next
      const leak = await typesetShape(stepBoxes.last().locator(".tex"));
      expect(leak.mathText).toContain("\\leak");
      expect(leak.mathText).not.toContain("LEAKED");
      expect(await page.evaluate("document.querySelectorAll('body *').length")).toBeLessThan(100_000);

      await rows.nth(math).click();
      const shot = join(REPO_ROOT, "test-results", "report.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
      // nothing but the page itself was fetched: no fonts, no images, no beacons
      expect(requests).toEqual([`file://${join(dir, "report.html")}`]);
    });
  }, 120_000);
});
