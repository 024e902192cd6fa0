/** Headless Debian Chromium for the report tests, recording console errors and every request. */
import type { Browser, Locator, Page } from "playwright-core";
import type { Segment } from "../../src/report/math-text.js";
import { launchBrowser } from "../playground/browser-session.js";

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions (CSP violations are console errors too). */
  errors: string[];
  /** Every URL the page requested, the page itself included. */
  requests: string[];
}

export async function withBrowser<T>(f: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await f(browser);
  } finally {
    await browser.close();
  }
}

export async function openReport(
  browser: Browser,
  file: string,
  viewport = { width: 1280, height: 900 },
): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  return { page, errors, requests };
}

export interface TypesetShape {
  /** The text outside math and verdicts, in order. */
  text: string;
  /** Math spans, typeset or not. */
  math: number;
  /** Math spans typeset by KaTeX (a .katex element inside). */
  typeset: number;
  /** Math spans KaTeX could not parse (shown as red source). */
  errors: number;
  verdicts: string[];
  /** Visible text of the typeset math (KaTeX's HTML, without the MathML copy of the source). */
  mathText: string;
}

/** The little of the DOM the page functions below use (this file is type-checked without the DOM library). */
interface DomNode {
  nodeType: number;
  textContent: string | null;
  childNodes: Iterable<DomNode>;
}
interface DomElement extends DomNode {
  classList: { contains(name: string): boolean };
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
}

/** What a typeset block holds, read in the page. */
export async function typesetShape(block: Locator): Promise<TypesetShape> {
  return block.evaluate((root: unknown) => {
    const out = { text: "", math: 0, typeset: 0, errors: 0, verdicts: [] as string[], mathText: "" };
    const walk = (n: DomNode) => {
      if (n.nodeType === 3) {
        out.text += n.textContent;
        return;
      }
      const e = n as DomElement;
      if (e.classList.contains("verdict")) {
        out.verdicts.push(e.classList.contains("v-correct") ? "correct" : "incorrect");
        return;
      }
      if (e.classList.contains("math")) {
        out.math++;
        if (e.querySelector(".katex-error")) out.errors++;
        else if (e.querySelector(".katex")) out.typeset++;
        for (const h of e.querySelectorAll(".katex-html")) out.mathText += `${h.textContent} `;
        return;
      }
      for (const c of n.childNodes) walk(c);
    };
    walk(root as DomNode);
    return out;
  });
}

/** The shape segments should give once typeset. */
export function expectedShape(
  segments: readonly Segment[],
): Pick<TypesetShape, "text" | "math" | "verdicts"> {
  return {
    text: segments
      .filter((s) => s[0] === "t")
      .map((s) => s[1])
      .join(""),
    math: segments.filter((s) => s[0] === "m" || s[0] === "d").length,
    verdicts: segments.flatMap((s) => (s[0] === "v" ? [s[2]] : [])),
  };
}

/** Where an element's top is in the viewport, and the viewport's height. */
export async function viewportTop(page: Page, selector: string): Promise<{ top: number; height: number }> {
  return page.locator(selector).evaluate((e) => ({
    top: e.getBoundingClientRect().top,
    height: (e.ownerDocument.defaultView as unknown as { innerHeight: number }).innerHeight,
  }));
}
