/**
 * The playground's routes without a browser: `GET /` and its assets need no token and say nothing
 * about the server, carry a Content-Security-Policy that allows only this origin, serve KaTeX's
 * files from the installed package (every font its style sheet names), and serve nothing else.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { createApp } from "../../src/server/app.js";
import { PLAYGROUND_CSP, PLAYGROUND_PATHS } from "../../src/server/playground/routes.js";

const MODEL = "very-secret-model-name";
const TOKEN = "very-secret-token";
const { app } = createApp({
  engine: new ScriptedEngine({ replies: ["x"], modelId: MODEL, identity: "identity-xyz" }),
  chatTemplate: null,
  token: TOKEN,
  defaults: { maxTokens: 123 },
});
const KATEX_DIST = dirname(createRequire(import.meta.url).resolve("katex/dist/katex.min.js"));

describe("GET / and the playground's assets", () => {
  it("serve the page and every asset to anyone, with the policy and nothing about the server", async () => {
    const expected: Record<string, string> = {
      [PLAYGROUND_PATHS.page]: "text/html; charset=utf-8",
      [PLAYGROUND_PATHS.script]: "text/javascript; charset=utf-8",
      [PLAYGROUND_PATHS.style]: "text/css; charset=utf-8",
      [PLAYGROUND_PATHS.splitters]: "text/javascript; charset=utf-8",
      [PLAYGROUND_PATHS.katexScript]: "text/javascript; charset=utf-8",
      [PLAYGROUND_PATHS.katexStyle]: "text/css; charset=utf-8",
      [PLAYGROUND_PATHS.icon]: "image/svg+xml",
    };
    for (const [path, type] of Object.entries(expected)) {
      const r = await app.request(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toBe(type);
      expect(r.headers.get("content-security-policy"), path).toBe(PLAYGROUND_CSP);
      expect(r.headers.get("x-content-type-options"), path).toBe("nosniff");
      const body = await r.text();
      for (const secret of [MODEL, TOKEN, "identity-xyz", "scripted"])
        expect(body.includes(secret), `${path} mentions ${secret}`).toBe(false);
    }
    const page = await (await app.request("/")).text();
    // the policy forbids inline code: every script is a file, no style element, no style attribute
    expect(page.match(/<script\b[^>]*>/g)).toEqual([
      '<script defer src="/playground/katex.min.js">',
      '<script defer src="/playground/text.js">',
      '<script defer src="/playground/playground.js">',
    ]);
    expect(page).not.toMatch(/<\/script>\s*<script>|<script>[^<]|<style|\sstyle=|\son[a-z]+=/i);
    expect(PLAYGROUND_CSP).toContain("script-src 'self'");
    expect(PLAYGROUND_CSP).not.toMatch(/unsafe|\*|data:|http/);
    // /v1 still wants the token
    expect((await app.request("/v1/models")).status).toBe(401);
  });

  it("serve KaTeX's files from the package: every font its style sheet names, and nothing else", async () => {
    const css = await (await app.request(PLAYGROUND_PATHS.katexStyle)).text();
    expect(css).toBe(readFileSync(join(KATEX_DIST, "katex.min.css"), "utf8"));
    const urls = [...css.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(urls.length).toBe(60);
    for (const u of urls) {
      const path = new URL(u, `http://x${PLAYGROUND_PATHS.katexStyle}`).pathname;
      const r = await app.request(path);
      expect(r.status, path).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(readFileSync(join(KATEX_DIST, u))), path).toBe(true);
    }
    expect(
      (await app.request("/playground/fonts/KaTeX_Main-Regular.woff2")).headers.get("content-type"),
    ).toBe("font/woff2");
    for (const path of [
      "/playground/fonts/..%2Fkatex.min.js",
      "/playground/fonts/%2E%2E%2F%2E%2E%2Fpackage.json",
      "/playground/fonts/../../package.json",
      "/playground/fonts/KaTeX_Main-Regular.woff2.map",
      "/playground/fonts/",
      "/playground/katex.js",
      "/playground/../src/server/app.ts",
      "/index.html",
    ]) {
      const r = await app.request(path);
      expect(r.status, path).toBe(404);
    }
  });
});
