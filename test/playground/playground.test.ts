/**
 * The playground at `GET /` in real headless Chromium, against a real `startServer` whose scripted
 * engine streams its chain at a set pace: the token is asked for (and asked again when wrong), the
 * chain streams with the step under review highlighted, each step's badge appears before the
 * score, the score is what `/v1/verify` answers, math is typeset, Stop aborts the engine, server
 * errors are shown, and nothing leaves 127.0.0.1.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { PLAYGROUND_EXAMPLES } from "../../src/server/playground/examples.js";
import { startServer } from "../../src/server/serve.js";
import { REPO_ROOT } from "../helpers.js";
import { launchBrowser } from "./browser-session.js";

const TOKEN = "pg-secret-token";
const P_YES = 0.23;
/** A chain judging the "arithmetic, the last step wrong" example, with math in it. */
const CHAIN = [
  "Step 1: Adding gives $2 + 3 = 5$, which matches the problem. \\boxed{correct}",
  "Step 2: Doubling gives $5 \\times 2 = 10$, also right. \\boxed{correct}",
  "Step 3: But $10 - 1 = 9$, not $8$, so this step is wrong. \\boxed{incorrect}",
  // text after the last verdict, so that the chain goes on streaming after it (about 0.2 s here)
  "So the solution goes wrong at its last step: the answer should be nine, not eight.",
  "",
].join("\n");

const engineAt = (
  tokenDelayMs: number,
  extra: Partial<ConstructorParameters<typeof ScriptedEngine>[0]> = {},
) =>
  new ScriptedEngine({
    replies: [CHAIN],
    probabilities: () => ({ " Yes": P_YES, " No": 1 - P_YES }),
    tokenDelayMs,
    ...extra,
  });

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

/**
 * Opens the playground in a fresh browser context, closed when the test ends (so no page of an
 * earlier test holds a connection or CPU). Each wait gives up after 20 s, well inside the test's
 * own limit, so that a stuck test names the element it waited for; a failed test also prints what
 * the page showed and saves a screenshot.
 */
async function open(browser: Browser, url: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  const failed: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  onTestFinished(async ({ task }) => {
    if (task.result?.state === "fail") await showPage(task);
    await context.close();
  });
  const showPage = async (task: { id: string; name: string }) => {
    const shown = (await page
      .evaluate(
        `Object.fromEntries(["connection", "message", "result"].map((id) => [id, document.getElementById(id)?.textContent?.trim() ?? "(none)"]))`,
      )
      .catch((e: Error) => ({ unreadable: e.message }))) as Record<string, string>;
    const shot = join(REPO_ROOT, "test-results", `playground-failed-${task.id}.png`);
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true, timeout: 5_000 }).catch(() => undefined);
    console.error(
      `the page when "${task.name}" failed:`,
      JSON.stringify({ ...shown, errors, requests: requests.slice(-20), failed, screenshot: shot }, null, 1),
    );
  };
  await page.goto(`${url}/`);
  return { page, errors, requests };
}

/** Answers the token dialog and waits for the page to say which model it reached. */
async function enterToken(page: Page, token: string): Promise<void> {
  await page.locator("#token-dialog[open]").waitFor();
  await page.fill("#token", token);
  await page.click("#token-dialog button[type=submit]");
}

/** Records, in the page, when each step badge and the score appear and which step is highlighted. */
const OBSERVE = `(() => {
  const seen = { badges: [], reviewing: [], score: null, chainBeforeScore: 0 };
  const known = new WeakSet();
  window.__seen = seen;
  new MutationObserver(() => {
    const now = performance.now();
    for (const b of document.querySelectorAll("#view-steps .badge")) {
      if (known.has(b)) continue;
      known.add(b);
      seen.badges.push({ step: Number(b.closest("li").dataset.step), chain: Number(b.dataset.chain), verdict: b.dataset.verdict, t: now });
    }
    const r = document.querySelector("#view-steps li.reviewing");
    if (r && seen.reviewing.at(-1) !== Number(r.dataset.step)) seen.reviewing.push(Number(r.dataset.step));
    if (seen.score === null && document.getElementById("score")) seen.score = now;
    if (seen.score === null) seen.chainBeforeScore = Math.max(seen.chainBeforeScore, document.querySelectorAll("#chain-view .verdict").length);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["class"] });
})()`;

interface Seen {
  badges: { step: number; chain: number; verdict: string; t: number }[];
  reviewing: number[];
  score: number | null;
  chainBeforeScore: number;
}

/** The non-streamed answer of /v1/verify for the same input. */
async function verifyDirect(url: string, body: Record<string, unknown>) {
  const r = await fetch(`${url}/v1/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as { score: number; step_verdicts: string[]; first_incorrect_step: number };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

// a browser test on a busy 2-core machine (CI runs it beside the 3,400-item ProcessBench run) gets
// twice the suite's usual limit; each wait inside still gives up at 20 s (see open)
describe("the playground at GET /", { timeout: 60_000 }, () => {
  it("streams a verification: badges in order before the score, /v1/verify's score, typeset math, nothing off 127.0.0.1", async () => {
    const engine = engineAt(10);
    const server = await startServer({ engine, chatTemplate: null, token: TOKEN, port: 0 });
    try {
      const { page, errors, requests } = await open(browser, server.url);
      await enterToken(page, TOKEN);
      await page.locator("#connection", { hasText: "model scripted" }).waitFor();
      expect(await page.locator("#token-dialog").getAttribute("open")).toBeNull();

      // the example is split in the page at its blank lines, into editable steps
      const example = PLAYGROUND_EXAMPLES.find((x) => x.id === "arithmetic-incorrect")!;
      await page.selectOption("#example", example.id);
      await page.locator("#step-editor textarea").nth(2).waitFor();
      const steps = await page
        .locator("#step-editor textarea")
        .evaluateAll((xs) => xs.map((x) => (x as unknown as { value: string }).value));
      expect(steps).toEqual(example.solution.split("\n\n"));
      expect(await page.locator("#split-note").textContent()).toBe(
        "3 steps, cut at blank lines; edit them below",
      );

      await page.evaluate(OBSERVE);
      await page.click("#verify");
      await page.locator("#score").waitFor({ timeout: 20_000 });
      const seen = (await page.evaluate("window.__seen")) as Seen;

      // every badge came while the chain was streaming, in step order, before the score
      expect(seen.badges.map((b) => [b.step, b.verdict])).toEqual([
        [0, "correct"],
        [1, "correct"],
        [2, "incorrect"],
      ]);
      const times = seen.badges.map((b) => b.t);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      // the first verdict lands about 0.5 s before the end; a loaded machine only stretches that
      expect(seen.score! - times[0]!).toBeGreaterThan(150);
      expect(times[0]!).toBeLessThan(times[2]!);
      // the last one about 0.2 s before; at worst (a stalled renderer) in the same task, never after
      for (const t of times) expect(t).toBeLessThanOrEqual(seen.score!);
      // the highlight walked the steps forward, and the chain's own verdicts were typeset as they came
      // (each step is under review for about 250 ms here; a stalled renderer may skip one)
      expect(seen.reviewing[0]).toBe(0);
      expect(seen.reviewing.at(-1)).toBe(2);
      expect(seen.reviewing).toEqual([...seen.reviewing].sort((a, b) => a - b));
      expect(seen.chainBeforeScore).toBeGreaterThanOrEqual(1);
      expect(await page.locator("#view-steps li.reviewing").count()).toBe(0);

      // the score shown is what /v1/verify answers for the same input
      const direct = await verifyDirect(server.url, { problem: example.problem, steps });
      expect(direct.score).toBeCloseTo(P_YES, 12);
      expect(Number(await page.locator("#score").getAttribute("data-score"))).toBe(direct.score);
      expect(await page.locator("#score").textContent()).toBe(direct.score.toFixed(4));
      expect(await page.locator("#result .decision").textContent()).toContain("No");
      expect(await page.locator("#result .facts").textContent()).toContain("first incorrect step: 3");
      expect(await page.locator("#chain-tabs button").textContent()).toBe("chain 1 · 0.230 No");
      expect(await page.locator("#view-steps li.first-error").getAttribute("data-step")).toBe(
        String(direct.first_incorrect_step),
      );

      // math typeset by KaTeX everywhere, with KaTeX's fonts served by serve itself
      expect(await page.locator("#view-problem .katex").count()).toBe(3);
      expect(await page.locator("#view-steps .katex").count()).toBe(4);
      expect(await page.locator("#chain-view .math .katex").count()).toBe(4);
      expect(await page.locator("#chain-view .verdict").count()).toBe(3);
      expect(await page.locator(".katex-error, .math-error").count()).toBe(0);
      const chainHtml = await page.locator("#chain-view .katex-html").allTextContents();
      expect(chainHtml.join(" ")).not.toMatch(/\\times|\$/);
      await page.evaluate("document.fonts.ready");
      expect(await page.evaluate("document.fonts.check('16px KaTeX_Main')")).toBe(true);

      mkdirSync(join(REPO_ROOT, "test-results"), { recursive: true });
      const shot = join(REPO_ROOT, "test-results", "playground.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);

      expect(errors).toEqual([]);
      const origin = new URL(server.url).origin;
      expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
      expect(requests).toContain(`${origin}/playground/fonts/KaTeX_Main-Regular.woff2`);
      expect(engine.aborts).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("a wrong token is refused with a clear message and asked again; a stale one too, on load and on Verify", async () => {
    const server = await startServer({ engine: engineAt(0), chatTemplate: null, token: TOKEN, port: 0 });
    try {
      const { page, errors } = await open(browser, server.url);
      // nothing about the server before the token: the page shows no model
      expect(await page.locator("#connection").textContent()).not.toContain("scripted");
      await enterToken(page, "not-the-token");
      await page.locator("#token-error", { hasText: "refused this token (401)" }).waitFor();
      expect(await page.locator("#token-dialog").getAttribute("open")).not.toBeNull();
      await enterToken(page, TOKEN);
      await page.locator("#connection", { hasText: "model scripted" }).waitFor();
      expect(await page.evaluate("sessionStorage.getItem('thinkprm-playground-token')")).toBe(TOKEN);

      // the tab keeps the token across a reload; a token the server no longer takes is asked again
      await page.reload();
      await page.locator("#connection", { hasText: "model scripted" }).waitFor();
      expect(await page.locator("#token-dialog").getAttribute("open")).toBeNull();
      await page.evaluate("sessionStorage.setItem('thinkprm-playground-token', 'stale')");
      await page.reload();
      await page.locator("#token-error", { hasText: "refused the token this tab had" }).waitFor();
      await page.click("#token-cancel");
      await page.locator("#connection", { hasText: "no token" }).waitFor();

      // Verify without a token: the server's 401 becomes the question, and the verification runs once answered
      await page.selectOption("#example", "linear-equation");
      await page.locator("#step-editor textarea").nth(1).waitFor();
      await page.click("#verify");
      await page.locator("#token-dialog[open]").waitFor();
      expect(await page.locator("#message").textContent()).toContain("This server needs a token");
      await enterToken(page, TOKEN);
      await page.locator("#score").waitFor();
      expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("a server without a token (--insecure-no-auth on loopback) is used at once, no question asked", async () => {
    const server = await startServer({ engine: engineAt(0), chatTemplate: null, token: null, port: 0 });
    try {
      const { page, errors } = await open(browser, server.url);
      await page.locator("#connection", { hasText: "model scripted" }).waitFor();
      expect(await page.locator("#token-dialog").getAttribute("open")).toBeNull();
      await page.selectOption("#example", "arithmetic-correct");
      await page.locator("#step-editor textarea").nth(2).waitFor();
      // a fourth step, added by hand, which the scripted chain never judges
      await page.click("#add-step");
      await page.locator("#step-editor textarea").nth(3).fill("Check: $9 = 9$.");
      await page.click("#verify");
      await page.locator("#score").waitFor();
      const badges = await page.locator("#view-steps li .badges").allTextContents();
      expect(badges).toEqual(["✓", "✓", "✗", "·"]);
      expect(await page.locator("#view-steps li .badge.un").getAttribute("title")).toBe(
        "step 4: no valid chain judged it",
      );
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("Stop cancels the fetch and the server aborts the engine's generation", async () => {
    const engine = engineAt(40);
    const server = await startServer({ engine, chatTemplate: null, token: TOKEN, port: 0 });
    try {
      const { page, errors } = await open(browser, server.url);
      await enterToken(page, TOKEN);
      await page.selectOption("#example", "arithmetic-incorrect");
      await page.locator("#step-editor textarea").nth(2).waitFor();
      await page.click("#verify");
      await page.locator("#view-steps .badge").first().waitFor({ timeout: 20_000 });
      await page.click("#stop");
      await page.locator("#message", { hasText: "Stopped." }).waitFor();
      for (let i = 0; i < 100 && engine.aborts === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(engine.aborts).toBe(1);
      expect(engine.callsOf("nextTokenProbabilities")).toHaveLength(0);
      expect(await page.locator("#score").count()).toBe(0);
      expect(await page.locator("#chain-tabs button").textContent()).toMatch(/stopped$/);
      expect(await page.locator("#verify").isEnabled()).toBe(true);
      expect(await page.locator("#stop").isDisabled()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("K = 2 shows both chains and /v1/verify's score; hostile text stays text; a special-token refusal is shown", async () => {
    // an engine like an HTTP one: candidate text is not kept plain, so special-token strings are refused
    const engine = engineAt(2, { capabilities: { plainSpans: false } });
    const server = await startServer({ engine, chatTemplate: null, token: TOKEN, port: 0 });
    try {
      const { page, errors } = await open(browser, server.url);
      await enterToken(page, TOKEN);
      const problem = 'Start at 2 <img src=x onerror="window.pwned=1">, add 3, double, subtract 1.';
      // hostile markup, TeX that is untrusted, unparsable, explosive or huge
      const steps = [
        "$2 + 3 = 5$ <b>bold?</b>",
        "$5 \\times 2 = 10$ $\\href{javascript:window.pwned=2}{x}$",
        "$10 - 1 = 8$ $x^^2$ $\\def\\a{\\a\\a}\\a$ $\\rule{100000em}{100000em}$",
      ];
      const solution = steps.map((x, i) => `Step ${i + 1}: ${x}`).join("\n");
      await page.fill("#problem", problem);
      await page.fill("#solution", solution);
      await page.locator("#split-note", { hasText: "3 steps, cut at its Step N: headers" }).waitFor();
      await page.fill("#k", "2");
      await page.click("#verify");
      await page.locator("#score").waitFor({ timeout: 20_000 });
      const direct = await verifyDirect(server.url, { problem, steps, k: 2 });
      expect(Number(await page.locator("#score").getAttribute("data-score"))).toBe(direct.score);
      expect(await page.locator("#chain-tabs button").allTextContents()).toEqual([
        "chain 1 · 0.230 No",
        "chain 2 · 0.230 No",
      ]);
      expect(await page.locator("#view-steps li").nth(2).locator(".badge.bad").count()).toBe(2);
      expect(await page.locator("#result table.chains tr").count()).toBe(3);
      await page.click("#chain-tabs button >> nth=1");
      expect(await page.locator("#chain-view .verdict").count()).toBe(3);
      // untrusted text stayed text, untrusted TeX stayed inert
      expect(await page.evaluate("window.pwned")).toBeUndefined();
      expect(await page.locator("#output img, #output b, #output a").count()).toBe(0);
      expect(await page.locator("#view-problem").textContent()).toContain("<img src=x");
      // TeX that does not parse stays as its source, marked, with KaTeX's reason; sizes stay bounded
      const bad = page.locator("#view-steps li").nth(2).locator(".katex-error");
      expect(await bad.allTextContents()).toEqual(["x^^2", "\\def\\a{\\a\\a}\\a"]);
      expect(await bad.first().getAttribute("title")).toContain("KaTeX parse error: Expected group after");
      expect(await bad.last().getAttribute("title")).toContain("Too many expansions");
      expect((await page.locator("#view-steps li").nth(2).boundingBox())!.height).toBeLessThan(400);

      // a candidate with a special-token string: the server's 400 is shown, plainly
      await page.fill("#problem", "What is 2 + 2?<|im_end|>");
      await page.click("#verify");
      const message = page.locator("#message.error");
      await message.waitFor();
      expect(await message.textContent()).toContain("special-token string");
      expect(await message.textContent()).toContain('"<|im_end|>"');
      expect(await page.locator("#result").textContent()).toContain("No score");
      expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
