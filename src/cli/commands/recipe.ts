/**
 * `thinkprm recipe run <file>`: one of the paper's experiments, from a YAML or JSON file. The
 * recipe expands into the commands a user would type (`eval processbench`, `eval bon`, `synth`,
 * `export`, `train`, `convert`), runs them in order through this same CLI in-process, and ends
 * with the experiment's table — printed, and leading a report page with its plot and the runs.
 *
 * Paths inside a recipe are relative to the recipe's own folder, so a recipe and its data travel
 * together. Every step writes to one run store, and the verifier's seed is fixed (0 unless the
 * recipe's settings say otherwise), so a rerun after a failure or Ctrl-C resumes an interrupted
 * step and answers every finished one from the store's cache (training runs again).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ScalingPoint } from "../../eval/processbench-predict.js";
import { buildReport } from "../../report/build-report.js";
import { metricVsTokens } from "../../report/charts.js";
import { RunStore } from "../../store/run-store.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";
import { dataFlags, flagsOf, parseRecipe, type Recipe, RecipeError, verifierFlags } from "../recipes.js";

export interface RecipeOptions {
  store: string;
  out?: string;
  dryRun?: boolean;
  quiet?: boolean;
  json?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a step's --json output, read field by field below
type StepOutput = Record<string, any>;
/** Runs one command of the recipe; `dryRun` when it only printed it (its output is placeholders). */
type RunStep = ((title: string, args: string[]) => Promise<StepOutput>) & { dryRun: boolean };

interface RecipeResult {
  table: { title: string; header: string[]; rows: string[][]; note?: string };
  /** The evaluation runs the report shows. */
  runs: string[];
  chart?: Parameters<typeof metricVsTokens>[0];
}

/** What each command a recipe runs accepts besides `--json`: the shared store, `-q`. */
const STEP_FLAGS = {
  eval: { store: true, quiet: true },
  synth: { store: true, quiet: true },
  export: { store: true, quiet: false },
  train: { store: true, quiet: true },
  convert: { store: false, quiet: false },
} as const;

const pct = (x: number) => (100 * x).toFixed(1);

/** An argument as a shell would need it, for the commands the recipe prints. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The recipe's verifier settings with a fixed seed: a user's command without `--seed` draws one
 * per run, so a rerun of the recipe would pay for every chain again; with a seed, a rerun is
 * answered from the cache.
 */
function seeded<T extends { settings: Record<string, string | number | boolean> }>(r: T): T {
  return { ...r, settings: { seed: 0, ...r.settings } };
}

async function processBenchScaling(
  r: Extract<Recipe, { kind: "processbench-scaling" }>,
  step: RunStep,
): Promise<RecipeResult | null> {
  // both kinds of compute sample alike: K > 1 samples at 0.6 by default, so one chain of R rounds does too
  const sampled = { ...r, settings: { temperature: 0.6, ...r.settings } };
  const base = ["eval", "processbench", ...verifierFlags(seeded(sampled)), ...dataFlags(r.data)];
  const maxK = Math.max(...r.k);
  const maxR = Math.max(...r.rounds);
  const parallel = await step(`parallel compute: ${maxK} chains of one round`, [
    ...base,
    "--k",
    String(maxK),
    "--rounds",
    "1",
  ]);
  const sequential =
    maxR > 1
      ? await step(`sequential compute: one chain of ${maxR} rounds`, [
          ...base,
          "--k",
          "1",
          "--rounds",
          String(maxR),
        ])
      : null;
  if (step.dryRun) return null;
  const points: ScalingPoint[] = [
    ...(parallel.scaling as ScalingPoint[]).filter(
      (p) => p.series.startsWith("parallel") && r.k.includes(p.chains),
    ),
    ...((sequential?.scaling ?? []) as ScalingPoint[]).filter(
      (p) => p.series.startsWith("sequential") && r.rounds.includes(p.rounds),
    ),
  ];
  // one round is the K = 1 point of the parallel run when no sequential run was needed
  if (!sequential && r.rounds.includes(1)) {
    const one = points.find((p) => p.chains === 1);
    if (one) points.push({ ...one, series: "sequential (rounds)" });
  }
  return {
    table: {
      title: r.name,
      header: ["compute", "chains K", "rounds", "F1 (official)", "mean verifier tokens / item"],
      rows: points.map((p) => [
        p.series.startsWith("parallel") ? "parallel" : "sequential",
        String(p.chains),
        String(p.rounds),
        pct(p.value),
        p.tokens.toFixed(0),
      ]),
      note: "Parallel: K chains averaged, read as the first K chains of one run. Sequential: one chain with more thinking rounds, read by cutting each chain after its R-th round. Compare rows of similar token cost; the plot puts both on one axis.",
    },
    runs: [parallel.run, ...(sequential ? [sequential.run] : [])],
    chart: points,
  };
}

async function bonSelection(
  r: Extract<Recipe, { kind: "bon-selection" }>,
  step: RunStep,
): Promise<RecipeResult | null> {
  const out = await step(
    r.verify ? "best-of-N, candidates scored by the verifier" : "best-of-N, the file's scores",
    [
      "eval",
      "bon",
      "--candidates",
      r.candidates,
      ...(r.verify ? verifierFlags(seeded(r)) : []),
      ...(r.n ? ["--n", r.n.join(",")] : []),
      ...(r.limit ? ["--limit", String(r.limit)] : []),
    ],
  );
  if (step.dryRun) return null;
  const curve = out.curve as {
    n: number;
    naive: number;
    weighted: number;
    majority: number;
    coverage: number;
  }[];
  return {
    table: {
      title: r.name,
      header: ["n", "naive (top score)", "weighted majority", "majority vote", "pass@n"],
      rows: curve.map((p) => [String(p.n), pct(p.naive), pct(p.weighted), pct(p.majority), pct(p.coverage)]),
      note: `Accuracy (%) over ${out.problems} problems when choosing one of the first n candidates: naive takes the best-scored, weighted sums scores per final answer, majority counts answers; pass@n is the ceiling.`,
    },
    runs: [out.run],
  };
}

async function filterAblation(
  r: Extract<Recipe, { kind: "filter-ablation" }>,
  step: RunStep,
): Promise<RecipeResult | null> {
  const outcomes: { filter: string; synth: StepOutput; trained: StepOutput; evaluated: StepOutput }[] = [];
  for (const filter of ["process", "outcome"] as const) {
    const folder = join(r.workdir, filter);
    const synth = await step(`synthesis, ${filter} filter`, [
      "synth",
      "--teacher",
      r.teacher,
      ...(r.teacherModel ? ["-m", r.teacherModel] : []),
      "--source",
      r.source,
      "--filter",
      filter,
      "--until",
      String(r.until),
      ...flagsOf(r.synth),
    ]);
    if (!step.dryRun && synth.kept === 0)
      throw new RecipeError(
        `the ${filter} filter kept no chains out of ${synth.sampled} (see the rejection reasons above); more prefixes (until, synth.limit) or another teacher`,
      );
    // the training text in the student's own chat template
    await step(`export, ${filter} filter`, [
      "export",
      "--run",
      synth.run,
      "-o",
      join(folder, "data"),
      "--chat-template",
      r.baseModel,
    ]);
    const trained = await step(`fine-tune on the ${filter}-filtered chains`, [
      "train",
      "--data",
      join(folder, "data"),
      "--base-model",
      r.baseModel,
      "-o",
      join(folder, "train"),
      "--launch",
      ...flagsOf(r.train),
    ]);
    const gguf = join(folder, "verifier.gguf");
    await step(`convert the ${filter}-filter verifier`, [
      "convert",
      trained.model,
      "-o",
      gguf,
      "--type",
      r.convertType,
    ]);
    const evaluated = await step(`ProcessBench, ${filter}-filter verifier`, [
      "eval",
      "processbench",
      ...verifierFlags(seeded({ ...r, model: gguf })),
      ...dataFlags(r.data),
    ]);
    outcomes.push({ filter, synth, trained, evaluated });
  }
  if (step.dryRun) return null;
  const rows = outcomes.map(({ filter, synth, trained, evaluated }) => {
    const all = evaluated.subsets.all ?? Object.values(evaluated.subsets)[0];
    return [
      filter,
      String(synth.kept),
      `${synth.sampled > 0 ? pct(synth.kept / synth.sampled) : "0.0"}%`,
      typeof trained.finalLoss === "number" ? trained.finalLoss.toFixed(3) : "?",
      pct(all.f1),
      pct(all.accErr),
      pct(all.accCor),
    ];
  });
  return {
    table: {
      title: r.name,
      header: ["filter", "chains kept", "yield", "final train loss", "F1 (official)", "acc_err", "acc_cor"],
      rows,
      note: "Process filtering keeps a chain only when every step judgment matches the gold labels; outcome filtering only checks the final one. Both sets fine-tune the same base model and are measured on the same held-out items.",
    },
    runs: outcomes.map((o) => o.evaluated.run as string),
  };
}

function formatTable(t: RecipeResult["table"]): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [t.title, line(t.header), ...t.rows.map(line), ...(t.note ? [t.note] : [])].join("\n");
}

export async function runRecipe(io: CliIo, file: string, opts: RecipeOptions): Promise<void> {
  const path = resolvePath(io, file);
  if (!existsSync(path)) throw new CliError(`recipe not found: ${file}`);
  const { runCli, buildCli, commandTree } = await import("../main.js");
  const tree = commandTree(buildCli(io));
  const optionsOf = (name: string) =>
    (tree.find((c) => c.path === name)?.command.options ?? []).flatMap((o: { long?: string }) =>
      o.long ? [o.long] : [],
    );
  const parsed = parseRecipe(readFileSync(path, "utf8"), file, {
    synth: optionsOf("synth"),
    train: optionsOf("train"),
  });
  if (!parsed.ok) throw new CliError(`the recipe is not valid:\n  ${parsed.errors.join("\n  ")}`);
  const recipe = parsed.recipe;
  const recipeDir = dirname(path);
  const store = resolvePath(io, opts.store);
  const reportPath = opts.out ? resolvePath(io, opts.out) : resolve(recipeDir, recipe.out);

  let index = 0;
  const runStep = async (title: string, args: string[]): Promise<StepOutput> => {
    index++;
    const command0 = args[0] as keyof typeof STEP_FLAGS;
    const takes = STEP_FLAGS[command0];
    const full = [
      ...args,
      ...(takes.store ? ["--store", store] : []),
      "--json",
      ...(takes.quiet && opts.quiet ? ["-q"] : []),
    ];
    const command = `thinkprm ${full.map(shellWord).join(" ")}`;
    if (opts.dryRun) {
      // the recipe's paths are relative to its folder: so are the commands
      if (index === 1) io.stdout.write(`cd ${shellWord(recipeDir)}\n`);
      io.stdout.write(`# ${index}. ${title}\n${command}\n`);
      // later steps name this one's outputs
      const n = index;
      return new Proxy(
        {},
        { get: (_, key) => (key === "then" ? undefined : `<${String(key)} of step ${n}>`) },
      );
    }
    if (!opts.quiet) io.stderr.write(`[${index}] ${title}\n    ${command}\n`);
    let captured = "";
    const code = await runCli(full, {
      ...io,
      cwd: recipeDir,
      stdout: { write: (t: string) => (captured += t) },
    });
    if (code !== 0)
      throw new CliError(
        `step ${index} (${title}) ended with exit code ${code}: see its messages above. Fix the cause and run the recipe again; finished evaluations and syntheses are reused from ${opts.store}.`,
        code,
      );
    const last = captured.trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(last) as StepOutput;
    } catch {
      return {};
    }
  };

  const step: RunStep = Object.assign(runStep, { dryRun: opts.dryRun === true });
  let result: RecipeResult | null;
  try {
    if (recipe.kind === "processbench-scaling") result = await processBenchScaling(recipe, step);
    else if (recipe.kind === "bon-selection") result = await bonSelection(recipe, step);
    else result = await filterAblation(recipe, step);
  } catch (error) {
    if (error instanceof RecipeError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
  if (result === null) return;

  const runStore = new RunStore(store);
  try {
    const records = result.runs.map((id) => runStore.getRun(id)!);
    const chart = result.chart
      ? {
          ...metricVsTokens(result.chart, "F1"),
          id: "recipe-F1-vs-tokens",
          title: "F1 vs verifier tokens: parallel chains against sequential rounds",
        }
      : undefined;
    const report = await buildReport(runStore, records, {
      summary: result.table,
      ...(chart ? { charts: [chart] } : {}),
    });
    mkdirSync(dirname(reportPath), { recursive: true });
    writeFileSync(reportPath, report.html);
  } finally {
    runStore.close();
  }
  if (opts.json) {
    writeJsonLine(io, {
      recipe: recipe.kind,
      name: recipe.name,
      runs: result.runs,
      table: result.table,
      report: reportPath,
    });
  } else {
    io.stdout.write(`${formatTable(result.table)}\nwrote ${reportPath}\n`);
  }
}
