/**
 * The playground's routes: `GET /` (the page) and its assets under `/playground/` — the page's
 * script and style sheet, the library's splitters bundled for the page, and KaTeX's script, style
 * sheet and fonts read from the installed `katex` package. Nothing is fetched from elsewhere: the
 * page works offline, and its Content-Security-Policy lets it load only these files and talk only
 * to this server.
 *
 * These routes need no token (the page asks for it and sends it to `/v1/*` only), so they say
 * nothing about the server: no model, no version, no configuration; the page learns the model
 * from `GET /v1/models` once it holds the token.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Context, Hono } from "hono";
import { PLAYGROUND_HTML } from "./page-html.js";
import { PAGE_LIB } from "./page-lib.generated.js";
import { PLAYGROUND_SCRIPT } from "./page-script.js";
import { PLAYGROUND_CSS } from "./page-style.js";

/** Where each asset is served. */
export const PLAYGROUND_PATHS = {
  page: "/",
  script: "/playground/playground.js",
  style: "/playground/playground.css",
  splitters: "/playground/text.js",
  katexScript: "/playground/katex.min.js",
  katexStyle: "/playground/katex.min.css",
  /** katex.min.css refers to `fonts/<name>`, i.e. this folder. */
  fonts: "/playground/fonts/",
  icon: "/playground/favicon.svg",
} as const;

/**
 * Only this origin's files, no inline script or style, requests only to this origin, no framing,
 * no form posts. KaTeX sets sizes through the DOM's style properties, which a policy does not
 * restrict (it never writes `style` attributes as markup).
 */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": PLAYGROUND_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2456a6"/><path d="M8 17l5 5 11-12" fill="none" stroke="#fff" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

/** KaTeX's font files by name (only names KaTeX's own style sheet can ask for). */
const FONT_NAME = /^KaTeX_[A-Za-z0-9-]+\.(woff2|woff|ttf)$/;
const FONT_TYPE: Record<string, string> = { woff2: "font/woff2", woff: "font/woff", ttf: "font/ttf" };

interface KatexFiles {
  script: string;
  css: string;
  fonts: Map<string, { path: string; type: string; bytes?: Uint8Array }>;
}

let katex: KatexFiles | undefined;

/** Reads (once) KaTeX's files from the installed package. */
function katexFiles(): KatexFiles {
  if (katex) return katex;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("katex/dist/katex.min.js"));
  const fonts: KatexFiles["fonts"] = new Map();
  for (const name of readdirSync(join(dist, "fonts"))) {
    const m = FONT_NAME.exec(name);
    if (m) fonts.set(name, { path: join(dist, "fonts", name), type: FONT_TYPE[m[1]!]! });
  }
  katex = {
    script: readFileSync(join(dist, "katex.min.js"), "utf8"),
    css: readFileSync(join(dist, "katex.min.css"), "utf8"),
    fonts,
  };
  return katex;
}

function asset(c: Context, body: string | Uint8Array, type: string, cache: string): Response {
  return c.body(body as string, 200, { ...SECURITY_HEADERS, "content-type": type, "cache-control": cache });
}

/** Registers `GET /` and the playground's assets on the service's app. */
export function registerPlayground(app: Hono): void {
  const P = PLAYGROUND_PATHS;
  // the page and its own code change with the package: always revalidated
  const fresh = "no-cache";
  // KaTeX's files change only with the katex package
  const stable = "public, max-age=86400";
  app.get(P.page, (c) => asset(c, PLAYGROUND_HTML, "text/html; charset=utf-8", "no-store"));
  app.get(P.script, (c) => asset(c, PLAYGROUND_SCRIPT, "text/javascript; charset=utf-8", fresh));
  app.get(P.style, (c) => asset(c, PLAYGROUND_CSS, "text/css; charset=utf-8", fresh));
  app.get(P.splitters, (c) => asset(c, PAGE_LIB, "text/javascript; charset=utf-8", fresh));
  app.get(P.icon, (c) => asset(c, ICON, "image/svg+xml", stable));
  app.get(P.katexScript, (c) => asset(c, katexFiles().script, "text/javascript; charset=utf-8", stable));
  app.get(P.katexStyle, (c) => asset(c, katexFiles().css, "text/css; charset=utf-8", stable));
  app.get(`${P.fonts}:file`, (c) => {
    const font = katexFiles().fonts.get(c.req.param("file"));
    if (!font) return c.notFound();
    font.bytes ??= new Uint8Array(readFileSync(font.path));
    return asset(c, font.bytes, font.type, stable);
  });
}
