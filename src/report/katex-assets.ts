/**
 * KaTeX's script and style sheet, ready to embed in a self-contained page: its fonts become data:
 * URLs (WOFF2 only, which every current browser reads; about 400 KB), so the page typesets math
 * offline and makes no request at all.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface KatexAssets {
  version: string;
  /** katex.min.js, safe inside a <script> element. */
  script: string;
  /** katex.min.css with every font inlined, safe inside a <style> element. */
  css: string;
}

let cached: KatexAssets | undefined;

/** Reads (once) and prepares KaTeX's files from the installed package. */
export function katexAssets(): KatexAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("katex/dist/katex.min.js"));
  const { version } = require("katex/package.json") as { version: string };
  const script = readFileSync(join(dist, "katex.min.js"), "utf8");
  if (/<\/script|<!--/i.test(script))
    throw new Error(`katex ${version}: katex.min.js cannot be inlined as is`);
  const css = readFileSync(join(dist, "katex.min.css"), "utf8").replace(
    /src:([^;}]*)/g,
    (_: string, sources: string) => {
      const woff2 = /url\((fonts\/[A-Za-z0-9_-]+\.woff2)\)/.exec(sources);
      if (!woff2) throw new Error(`katex ${version}: a @font-face without a WOFF2 source: ${sources}`);
      const data = readFileSync(join(dist, woff2[1]!)).toString("base64");
      return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
    },
  );
  // the page must fetch nothing: any url() left that is not data: would be a request
  const external = /url\((?!data:)[^)]*\)/.exec(css);
  if (external) throw new Error(`katex ${version}: katex.min.css still refers to ${external[0]}`);
  if (/<\/style/i.test(css)) throw new Error(`katex ${version}: katex.min.css cannot be inlined as is`);
  cached = { version, script, css };
  return cached;
}
