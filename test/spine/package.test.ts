/**
 * The package as a user gets it: the README's library example, importing the built package by
 * name (`thinkprm`, `thinkprm/llama-cpp`), an explicit public API, and node-llama-cpp as an
 * optional dependency (an HTTP-only install works; the embedded engine says which package it needs).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, workdir } from "../cli/run-cli.js";
import { REPO_ROOT } from "../helpers.js";

describe("the package", () => {
  it("the README's library example runs against the built package and prints what it says", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "examples/library.mjs")], {
      encoding: "utf8",
      cwd: REPO_ROOT,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("chat template: model");
    // the constant-logit oracle: P(" Yes") 0.375, P(" No") 0.125 → 0.75 exactly
    expect(r.stdout).toContain("score 0.7500 (yes), 2/2 chains valid");
    expect(r.stdout).toMatch(/weighted vote picks candidate 0: so x = \\boxed\{2\}/);
    // the README shows this very file
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    expect(readme).toContain(readFileSync(join(REPO_ROOT, "examples/library.mjs"), "utf8").trim());
  }, 60_000);

  it("names its public API one by one, without internals", async () => {
    const api = await import(join(REPO_ROOT, "dist/index.js"));
    const names = Object.keys(api);
    for (const name of [
      "createEngine",
      "createVerifier",
      "verifyJob",
      "processBenchJob",
      "RunStore",
      "loadProcessBench",
      "calibrationReport",
      "rankCandidates",
    ])
      expect(names, name).toContain(name);
    for (const internal of ["close", "evaluate", "pyStrip", "LlamaCppEngine"])
      expect(names, internal).not.toContain(internal);
    expect(readFileSync(join(REPO_ROOT, "src/index.ts"), "utf8")).not.toMatch(/^export \*/m);
    expect(names.length).toBeLessThan(120);
  });

  it("without node-llama-cpp: the HTTP engine works, the embedded one names the missing package", async () => {
    const dir = workdir({
      // the package made unresolvable, as in an install with --omit=optional
      "hooks.mjs": `export async function resolve(specifier, context, next) {
  if (specifier === "node-llama-cpp" || specifier.startsWith("@node-llama-cpp/")) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`,
      "register.mjs": 'import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n',
      "s.json": JSON.stringify({
        replies: ["Step 1: ok \\boxed{correct}\n"],
        probabilities: { " Yes": 0.9, " No": 0.1 },
      }),
    });
    writeFileSync(join(dir, "x.gguf"), "not really a model");
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        ["--import", "./register.mjs", join(REPO_ROOT, "bin/thinkprm.js"), ...args],
        {
          cwd: dir,
          encoding: "utf8",
        },
      );
    const scripted = run([
      "verify",
      "-e",
      "scripted:s.json",
      "--problem",
      "p",
      "--step",
      "a",
      "--no-store",
      "-q",
      "--json",
    ]);
    expect(scripted.status).toBe(0);
    expect(JSON.parse(scripted.stdout).score).toBeCloseTo(0.9, 12);
    const { makeTinyModel } = await import("../../src/engines/llama-cpp/test-models.js");
    writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
    const embedded = run(["verify", "-m", "tiny.gguf", "--problem", "p", "--step", "a", "--no-store", "-q"]);
    expect(embedded.status).toBe(2);
    expect(embedded.stderr).toContain(
      "the embedded engine needs the optional package node-llama-cpp, which is not installed: run `npm install node-llama-cpp@3.21.1`",
    );
    // and the in-process CLI with the package present is unaffected
    expect(
      (
        await cli(["verify", "-e", "scripted:s.json", "--problem", "p", "--step", "a", "--no-store", "-q"], {
          cwd: dir,
        })
      ).code,
    ).toBe(0);
  }, 60_000);
});
