/**
 * npm run bench:learn — a learned verifier, end to end, on a laptop's CPU, through the CLI as a
 * user types it (scripts/learn-pipeline.ts): the synthetic last-digit task, chains from the
 * rule-based teacher kept by the process filter (and, for the paper's ablation, by the outcome
 * filter), a ~1M-parameter student trained from scratch with the shipped script, converted to
 * GGUF and evaluated on the held-out set (ProcessBench's format) by the embedded llama.cpp engine.
 *
 * Prints, for the untrained student and the two trained ones at K = 1 and K = 4: held-out F1
 * (official and binary), invalid-chain rate, mean chain tokens; then one line,
 *   learned verifier: F1 <x> on <n> held-out items, invalid <y>%
 * Goal: F1 ≥ 0.80 with invalid ≤ 5% at K = 1, the whole bench ≤ 25 minutes on 2 cores.
 *
 * Options: --out <dir> (default: a new folder under the OS temp dir; everything stays there:
 * data, runs.sqlite, recipes, checkpoints, GGUFs, predictions, bench-learn.json), --python <exe>,
 * --seed <n>, --quick (a few dozen training steps: the pipeline holds, nothing more).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  childCpuSeconds,
  type EvalRow,
  ensureBuilt,
  evaluate,
  findPython,
  fullRecipe,
  initStudent,
  pool,
  quickRecipe,
  type Stage,
  synthAndExport,
  thinkprm,
  trainAndConvert,
  workFolder,
} from "./learn-pipeline.js";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes("--quick");
const seed = Number(flag("--seed") ?? 1);

const recipe = quick ? quickRecipe(seed) : fullRecipe(seed);

const picked = findPython(flag("--python"));
if (picked.python === null) {
  console.log(`bench:learn — cannot run here: ${picked.why}`);
  process.exit(1);
}
const python = picked.python;
const dir = workFolder(resolve(flag("--out") ?? mkdtempSync(join(tmpdir(), "thinkprm-learn-"))));
const built = ensureBuilt();
const load0 = loadavg();
const stages: Stage[] = [];
const t0 = performance.now();
async function stage<T>(name: string, parallel: number, fn: () => Promise<T>): Promise<T> {
  const s = performance.now();
  const cpu = childCpuSeconds();
  process.stderr.write(`bench:learn: ${name} …\n`);
  const out = await fn();
  const after = childCpuSeconds();
  stages.push({
    name,
    seconds: (performance.now() - s) / 1000,
    cpuSeconds: cpu === null || after === null ? null : after - cpu,
    parallel,
  });
  return out;
}

await stage("task", 1, () =>
  thinkprm(
    [
      "dev",
      "synthetic-task",
      "-o",
      "task",
      "--seed",
      String(recipe.seed),
      "--train",
      String(recipe.task.train),
      "--held-out",
      String(recipe.task.heldOut),
      "--addends",
      recipe.task.addends,
    ],
    dir,
  ),
);
const synth = await stage("synth + export (process, outcome)", 1, async () => ({
  process: await synthAndExport(dir, recipe, "process"),
  outcome: await synthAndExport(dir, recipe, "outcome"),
}));
const student = await stage("initial student + convert", 1, () => initStudent(dir, recipe, python));
const trained = await stage("train + convert (process ‖ outcome)", 2, async () => {
  const [process, outcome] = await Promise.all([
    trainAndConvert(dir, recipe, "process", python),
    trainAndConvert(dir, recipe, "outcome", python),
  ]);
  return { process: process!, outcome: outcome! };
});
const models = ["untrained", "learned-outcome", "learned-process"] as const;
const rows = await stage("eval processbench (2 at a time)", 2, () =>
  pool(
    2,
    models.flatMap((model) =>
      recipe.evaluation.ks.map(
        (k) => () =>
          evaluate(
            dir,
            recipe,
            model,
            k,
            model === "untrained" ? recipe.evaluation.untrainedLimit : undefined,
          ),
      ),
    ),
  ),
);
const total = (performance.now() - t0) / 1000;
const load1 = loadavg();

const pct = (x: number) => (100 * x).toFixed(1);
const names: Record<string, string> = {
  untrained: "untrained student",
  "learned-outcome": "trained, outcome filter",
  "learned-process": "trained, process filter",
};
console.log(
  `\nbench:learn — ${recipe.task.heldOut} held-out last-digit items (seed ${recipe.seed})${quick ? ", QUICK (pipeline check only)" : ""}\n`,
);
console.log(
  "model                      K  items  F1(official)  F1(binary)  invalid  mean chain tokens  eval s",
);
for (const r of rows as EvalRow[]) {
  console.log(
    `${names[r.model]!.padEnd(25)} ${String(r.k).padStart(2)}  ${String(r.items).padStart(5)}  ${pct(r.f1).padStart(12)}  ${pct(r.binaryF1).padStart(10)}  ${pct(r.invalidRate).padStart(6)}%  ${(r.meanTokens ?? 0).toFixed(0).padStart(17)}  ${r.seconds.toFixed(0).padStart(6)}`,
  );
}
const yieldText = (s: typeof synth.process) =>
  `${s.kept} kept of ${s.sampled} sampled (${Object.entries(s.reasons)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")})`;
console.log(`\nsynth, process filter: ${yieldText(synth.process)}`);
console.log(`synth, outcome filter: ${yieldText(synth.outcome)}`);
console.log(
  `student: ${student.parameters} parameters, vocabulary ${student.vocab}, ${student.mean_prompt_tokens} prompt + ${student.mean_completion_tokens} chain tokens per example`,
);
for (const f of ["process", "outcome"] as const)
  console.log(
    `trained (${f}): ${trained[f].steps} steps, final loss ${trained[f].finalLoss?.toFixed(4) ?? "?"}, ${trained[f].seconds.toFixed(0)} s`,
  );
console.log("\nstage                                   wall s   CPU s   on idle cores ≈ s");
for (const s of stages) {
  const idle = s.cpuSeconds === null ? "?" : (s.cpuSeconds / s.parallel).toFixed(0);
  console.log(
    `${s.name.padEnd(38)} ${s.seconds.toFixed(0).padStart(7)} ${s.cpuSeconds === null ? "      ?" : s.cpuSeconds.toFixed(0).padStart(7)}   ${idle.padStart(6)}`,
  );
}
const idleTotal = stages.every((s) => s.cpuSeconds !== null)
  ? stages.reduce((a, s) => a + s.cpuSeconds! / s.parallel, 0)
  : null;
console.log(
  `total ${(total / 60).toFixed(1)} min${built ? " (after building dist/)" : ""}${idleTotal === null ? "" : `; on 2 idle cores ≈ ${(idleTotal / 60).toFixed(1)} min (CPU seconds of each stage ÷ the processes it ran side by side)`}; load average ${load0[0]!.toFixed(1)} at the start, ${load1[0]!.toFixed(1)} at the end, on ${(await import("node:os")).availableParallelism()} cores (a load above the core count means other work shared them)`,
);
console.log(`everything is in ${dir}`);
writeFileSync(
  join(dir, "bench-learn.json"),
  `${JSON.stringify({ recipe, rows, synth, student, trained, stages, total, load: [load0, load1] }, null, 2)}\n`,
);
const best = (rows as EvalRow[]).find((r) => r.model === "learned-process" && r.k === 1)!;
console.log(
  `\nlearned verifier: F1 ${best.f1.toFixed(3)} on ${best.items} held-out items, invalid ${pct(best.invalidRate)}%`,
);
