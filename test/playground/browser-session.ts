/** Headless Debian Chromium for the browser tests (the playground's and the report's). */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { expect } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
// the flags a root, offline, headless Chromium needs here
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser(): Promise<Browser> {
  expect(
    existsSync(CHROMIUM),
    "Debian's chromium is needed (apt-get install chromium; .ci/run installs it)",
  ).toBe(true);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
