/**
 * The short version of bench:learn: the same CLI commands and shipped scripts, a few dozen training
 * steps of a smaller student. It checks that the pipeline holds and every artefact is what the next
 * stage reads — not that the verifier is good (bench:learn measures that).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ensureBuilt,
  evaluate,
  findPython,
  initStudent,
  quickRecipe,
  synthAndExport,
  thinkprm,
  trainAndConvert,
} from "../../scripts/learn-pipeline.js";
import { REPO_ROOT } from "../helpers.js";

const picked = findPython();
const skip = picked.python === null ? picked.why : undefined;

describe.skipIf(skip !== undefined)(`learned verifier pipeline${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("task → synth → export → student → train → convert → eval processbench, all through the CLI", async () => {
    ensureBuilt();
    const python = picked.python!;
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-learn-test-"));
    const recipe = quickRecipe();
    await thinkprm(
      [
        "dev",
        "synthetic-task",
        "-o",
        "task",
        "--train",
        String(recipe.task.train),
        "--held-out",
        "20",
        "--addends",
        recipe.task.addends,
      ],
      dir,
    );
    const proc = await synthAndExport(dir, recipe, "process");
    const outc = await synthAndExport(dir, recipe, "outcome");
    // the teacher errs, so filtering rejects some chains; outcome filtering keeps a superset
    expect(proc.kept).toBeGreaterThan(50);
    expect(proc.reasons.process_mismatch ?? 0).toBeGreaterThan(0);
    expect(outc.kept).toBeGreaterThanOrEqual(proc.kept);
    const first = JSON.parse(readFileSync(join(dir, "ft-process/trl.jsonl"), "utf8").split("\n")[0]!);
    expect(first.prompt).toContain("[Math Problem]\n\nWhat is the last digit of ");
    expect(first.completion).toMatch(
      /^<think>\n\nLet's verify step by step:\nStep 1: .* \\boxed\{(in)?correct\}/,
    );

    const student = await initStudent(dir, recipe, python);
    expect(student.parameters).toBeGreaterThan(10_000);
    expect(existsSync(join(dir, "untrained.gguf"))).toBe(true);

    const trained = await trainAndConvert(dir, recipe, "process", python);
    expect(trained.steps).toBe(recipe.train.maxSteps);
    const losses = readFileSync(join(dir, "recipe-process/train.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"thinkprm": "step"'))
      .map((l) => JSON.parse(l).loss as number);
    expect(losses).toHaveLength(recipe.train.maxSteps!);
    expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!); // it learns something

    const row = await evaluate(
      dir,
      { ...recipe, evaluation: { ...recipe.evaluation, maxTokens: 48 } },
      "learned-process",
      1,
      6,
    );
    expect(row.items).toBe(6);
    expect(row.invalidRate).toBeGreaterThanOrEqual(0);
    expect(row.meanTokens).toBeGreaterThan(0);
    // one prediction per item: a step index, -1, or null for an invalid chain
    const preds = readFileSync(join(dir, "predictions-learned-process-k1.jsonl"), "utf8").trim().split("\n");
    expect(preds).toHaveLength(6);
    for (const p of preds)
      expect(JSON.parse(p).prediction === null || Number.isInteger(JSON.parse(p).prediction)).toBe(true);

    // the same ablation as a recipe (examples/recipes/learned/last-digit-ablation.yaml, shortened):
    // synth → export → train → convert → eval, once per filter, and the table comparing them
    writeFileSync(
      join(dir, "ablation.yaml"),
      readFileSync(join(REPO_ROOT, "examples/recipes/learned/last-digit-ablation.yaml"), "utf8")
        .replaceAll("../../../.bench/learn/", "")
        .replace("until: 1500", "until: 150")
        .replace("  epochs: 2\n", "  maxSteps: 8\n")
        .replace("  batch: 16\n  perDeviceBatch: 16\n", "  batch: 8\n  perDeviceBatch: 8\n")
        .replace("  maxTokens: 192\n", "  maxTokens: 32\n")
        .replace("data:\n", "data:\n  limit: 4\n")
        .replace("train:\n", `train:\n  python: ${JSON.stringify(python)}\n`),
    );
    const ablation = await thinkprm(
      ["recipe", "run", "ablation.yaml", "--store", "runs.sqlite", "--json", "-q"],
      dir,
    );
    const table = (JSON.parse(ablation.stdout.trim().split("\n").at(-1)!) as { table: { rows: string[][] } })
      .table;
    expect(table.rows.map((r) => r[0])).toEqual(["process", "outcome"]);
    for (const r of table.rows) {
      expect(Number(r[1])).toBeGreaterThan(0); // chains kept
      expect(Number(r[4])).toBeGreaterThanOrEqual(0); // an F1 was measured
    }
    expect(existsSync(join(dir, "last-digit-ablation.html"))).toBe(true);
  }, 480_000);
});
