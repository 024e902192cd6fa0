#!/usr/bin/env node
// The README's test command: typecheck, lint, build (the CLI tests run the built binary too), the
// Python set-up (npm run setup:python, idempotent), then vitest. Ends with the plain line
// "N passed, N failed, N skipped" that CI reads, since CI does not read vitest's own summary.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", shell: false }).status ?? 1;
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
const extra = process.argv.slice(2);

for (const [label, args] of [
  ["typecheck", ["tsc", "--noEmit"]],
  ["lint", ["biome", "check", "src", "test", "scripts"]],
  ["build", ["tsc", "-p", "tsconfig.build.json"]],
]) {
  if (extra.length > 0 && label !== "build") continue; // a filtered run (npm test -- path) skips the slow checks
  console.log(`\n> ${label}: ${args.join(" ")}`);
  if (run(npx, args) !== 0) {
    console.log(`\n${label} failed`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

// the Python side (.venv, llama.cpp's converter) that the training and conversion tests need:
// set up here when missing (fast when done), so those tests never skip for want of it
console.log("\n> setup:python: node scripts/setup-python.mjs");
if (run(process.execPath, ["scripts/setup-python.mjs"]) !== 0) {
  console.log("\nsetup:python failed; the training and conversion tests need it (see the message above)");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

mkdirSync("test-results", { recursive: true });
const report = "test-results/vitest.json";
rmSync(report, { force: true });
const status = run(npx, [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...extra,
]);
let summary = "0 passed, 1 failed";
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
  if (r.numFailedTests === 0 && status !== 0) summary = `${r.numPassedTests} passed, 1 failed`; // a suite that failed to load
} catch {
  // no report: vitest itself failed to start; the line above says so
}
console.log(`\n${summary}`);
process.exit(status);
