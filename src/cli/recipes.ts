/**
 * Recipes: the paper's experiments as files a user runs (`thinkprm recipe run <file>`), YAML or
 * JSON, validated. Each kind expands into the commands a user would type — `eval processbench`,
 * `eval bon`, `synth`, `export`, `train`, `convert` — run in order through the same CLI, and
 * ends in a report page with the recipe's table and the runs' plots.
 */
import { isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { VERIFIER_FIELDS, verifierSettingsSchema } from "../verifier/settings.js";

const flagValue = z.union([z.string(), z.number(), z.boolean()]);

/** Verifier settings by their library names (`maxTokens`, `temperature`, `runaway`, …). */
const settingsPart = z.record(z.string(), flagValue).default({});

/** The verifier's engine and settings, as the flags every verifying command takes. */
const enginePart = {
  /** `-e`: llama-cpp[:<model>], openai:<url>, scripted:<file>. */
  engine: z.string().min(1).default("llama-cpp"),
  /** `-m`: the llama-cpp model. */
  model: z.string().min(1).optional(),
  threads: z.number().int().min(1).max(256).optional(),
  contextSize: z.number().int().min(256).optional(),
  serverKind: z.enum(["vllm", "sglang", "llama.cpp", "ollama", "openai"]).optional(),
  servedModel: z.string().optional(),
  settings: settingsPart,
};

const processBenchData = z
  .strictObject({
    /** One file of ProcessBench items (`--data`). */
    file: z.string().optional(),
    /** A ProcessBench folder and its subsets (`--data-dir`, `--subsets`). */
    dir: z.string().optional(),
    subsets: z.array(z.string().min(1)).min(1).optional(),
    /** A seeded sample of this many items per subset. */
    limit: z.number().int().min(1).optional(),
  })
  .refine((d) => (d.file === undefined) !== (d.dir === undefined), {
    message: 'give "file" (one ProcessBench-format JSONL) or "dir" (a ProcessBench folder), not both',
  });

const powersOfTwo = z
  .array(z.number().int().min(1).max(64))
  .min(1)
  .refine((xs) => xs.every((x) => (x & (x - 1)) === 0), {
    message:
      "K values are powers of two (1, 2, 4, 8, …): smaller K are read from the largest run's first chains",
  });

export const RECIPE_KINDS = ["processbench-scaling", "bon-selection", "filter-ablation"] as const;

export const recipeSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("processbench-scaling"),
    name: z.string().default("ProcessBench: parallel vs sequential verifier compute"),
    ...enginePart,
    data: processBenchData,
    /** Parallel chains to compare: one run with the largest K, one round; smaller K are its first chains. */
    k: powersOfTwo.default([1, 2, 4, 8]),
    /** Thinking rounds to compare: one run with one chain and the most rounds, cut after each. */
    rounds: z.array(z.number().int().min(1).max(4)).min(1).default([1, 2, 4]),
    out: z.string().default("scaling-report.html"),
  }),
  z.strictObject({
    kind: z.literal("bon-selection"),
    name: z.string().default("Best-of-N: naive, weighted and majority selection"),
    ...enginePart,
    /** A candidates file (search-and-learn, compute-optimal-tts or Qwen RM JSONL). */
    candidates: z.string().min(1),
    /** Score the candidates with the verifier now; false: use the scores the file carries. */
    verify: z.boolean().default(true),
    n: z.array(z.number().int().min(1)).min(1).optional(),
    limit: z.number().int().min(1).optional(),
    out: z.string().default("bon-report.html"),
  }),
  z.strictObject({
    kind: z.literal("filter-ablation"),
    name: z.string().default("Process vs outcome filtering of the synthetic chains"),
    /** The teacher engine (`--teacher`) and its model (`-m`). */
    teacher: z.string().min(1),
    teacherModel: z.string().min(1).optional(),
    /** Labelled prefixes (`--source`: prm800k:<file> or jsonl:<file>). */
    source: z.string().min(1),
    /** Chains to keep per filter (`--until`). */
    until: z.number().int().min(1).default(1000),
    /** Further `synth` flags by name (`perPrefix`, `temperature`, `maxTokens`, `seed`, …). */
    synth: z.record(z.string(), flagValue).default({}),
    /** The model both filters' sets fine-tune (`--base-model`) and further `train` flags. */
    baseModel: z.string().min(1),
    train: z.record(z.string(), flagValue).default({}),
    /** How the trained checkpoints are written as GGUF for the embedded engine. */
    convertType: z.enum(["f32", "f16", "q8_0"]).default("f16"),
    /** The held-out ProcessBench-format items both trained verifiers are measured on. */
    data: processBenchData,
    threads: z.number().int().min(1).max(256).optional(),
    contextSize: z.number().int().min(256).optional(),
    /** Verifier settings for the measurement (`maxTokens`, `k`, …). */
    settings: settingsPart,
    /** Where the exports, training folders and GGUF files go. */
    workdir: z.string().default("ablation"),
    out: z.string().default("ablation-report.html"),
  }),
]);

export type Recipe = z.output<typeof recipeSchema>;

/** A recipe that cannot run as written (a setting it may not carry, an unknown flag name). */
export class RecipeError extends Error {}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Flags from `{name: value}`: `--name value`, `--name` for true, nothing for false. */
export function flagsOf(values: Record<string, string | number | boolean>): string[] {
  return Object.entries(values).flatMap(([k, v]) =>
    v === false ? [] : v === true ? [`--${kebab(k)}`] : [`--${kebab(k)}`, String(v)],
  );
}

/** The engine and verifier flags of a recipe, with each setting under its own flag. */
export function verifierFlags(r: {
  engine?: string;
  model?: string | undefined;
  threads?: number | undefined;
  contextSize?: number | undefined;
  serverKind?: string | undefined;
  servedModel?: string | undefined;
  settings: Record<string, string | number | boolean>;
}): string[] {
  const args = r.engine ? ["-e", r.engine] : [];
  if (r.model) args.push("-m", r.model);
  if (r.threads) args.push("--threads", String(r.threads));
  if (r.contextSize) args.push("--context-size", String(r.contextSize));
  if (r.serverKind) args.push("--server-kind", r.serverKind);
  if (r.servedModel) args.push("--served-model", r.servedModel);
  for (const [key, value] of Object.entries(r.settings)) {
    const field = VERIFIER_FIELDS.find((f) => f.key === key);
    if (!field?.flag)
      throw new RecipeError(`settings.${key} is not a verifier setting (see thinkprm verify --help)`);
    const flag = field.flag.match(/--[\w-]+/)![0];
    if (typeof value === "boolean") {
      // --early-exit turns on; --no-lets-verify turns off
      if (flag.startsWith("--no-") ? !value : value) args.push(flag);
    } else args.push(flag, String(value));
  }
  return args;
}

export function dataFlags(d: z.output<typeof processBenchData>): string[] {
  return [
    ...(d.file
      ? ["--data", d.file]
      : ["--data-dir", d.dir!, ...(d.subsets ? ["--subsets", d.subsets.join(",")] : [])]),
    ...(d.limit ? ["--limit", String(d.limit)] : []),
  ];
}

/** The flags of the commands a recipe passes free-form maps to (`synth:`, `train:`). */
export type CommandFlags = Record<"synth" | "train", readonly string[]>;

/** Flags a recipe sets itself: a map that sets them too would be ambiguous. */
const RESERVED: Record<"synth" | "train", readonly string[]> = {
  synth: ["--teacher", "--model", "--source", "--filter", "--until", "--store", "--json", "--quiet"],
  train: ["--data", "--base-model", "--out", "--launch", "--store", "--json", "--quiet"],
};

/** Settings the scaling recipe sets per run, or that would make its K and R meaningless. */
const SCALING_OWNS = ["k", "rounds", "adaptiveK", "kMax", "mode"];

type Problem = { path: (string | number)[]; message: string };

/** Everything about a schema-valid recipe that only the verifier's schema and the CLI know. */
function deeperProblems(r: Recipe, flags: CommandFlags | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const key of Object.keys(r.settings)) {
    if (!VERIFIER_FIELDS.some((f) => f.key === key && f.flag))
      problems.push({
        path: ["settings", key],
        message: "not a verifier setting (see thinkprm verify --help)",
      });
    else if (r.kind === "processbench-scaling" && SCALING_OWNS.includes(key))
      problems.push({
        path: ["settings", key],
        message: "the recipe sets chains, rounds and mode itself; remove it",
      });
  }
  if (problems.length === 0) {
    const checked = verifierSettingsSchema.safeParse(r.settings);
    if (!checked.success)
      for (const issue of checked.error.issues)
        problems.push({ path: ["settings", ...(issue.path as (string | number)[])], message: issue.message });
  }
  if (r.kind === "bon-selection" && !r.verify) {
    // the file's scores rank the candidates: a verifier's keys would be silently unused
    for (const key of ["model", "threads", "contextSize", "serverKind", "servedModel"] as const)
      if (r[key] !== undefined)
        problems.push({
          path: [key],
          message: "a verifier's setting, and verify is false: set verify: true or remove it",
        });
    for (const key of Object.keys(r.settings))
      problems.push({
        path: ["settings", key],
        message: "a verifier's setting, and verify is false: set verify: true or remove it",
      });
  }
  if (r.kind === "filter-ablation" && flags) {
    for (const command of ["synth", "train"] as const) {
      for (const key of Object.keys(r[command])) {
        const flag = `--${kebab(key)}`;
        if (RESERVED[command].includes(flag))
          problems.push({ path: [command, key], message: `the recipe sets ${flag} itself; remove it` });
        else if (!flags[command].includes(flag))
          problems.push({
            path: [command, key],
            message: `thinkprm ${command} has no ${flag} (see thinkprm ${command} --help)`,
          });
      }
    }
  }
  return problems;
}

/**
 * Reads a recipe (YAML, or JSON, which is YAML) and validates all of it before anything runs:
 * its shape, its verifier settings against the verifier's own schema, and the `synth:`/`train:`
 * maps against those commands' flags (`flags`). Every problem names the file, the line and the
 * field (`scaling.yaml:4: k: K values are powers of two`). Unknown fields are errors, so a
 * misspelt setting never silently falls back to its default.
 */
export function parseRecipe(
  text: string,
  file: string,
  flags?: CommandFlags,
): { ok: true; recipe: Recipe } | { ok: false; errors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`),
    };
  }
  /** The line of a field: its key's line when the path ends at a key, else its value's. */
  const lineOf = (path: readonly (string | number)[]): number => {
    for (let depth = path.length; depth > 0; depth--) {
      const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[depth - 1]);
        if (isNode(pair?.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
      }
      const node = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return 1;
  };
  const at = ({ path, message }: Problem) =>
    `${file}:${lineOf(path)}: ${path.length > 0 ? `${path.join(".")}: ` : ""}${message}`;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias bomb: "Excessive alias count indicates a resource exhaustion attack"
    return { ok: false, errors: [`${file}: ${(error as Error).message}`] };
  }
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (!RECIPE_KINDS.includes(kind as (typeof RECIPE_KINDS)[number])) {
    return {
      ok: false,
      errors: [
        at({
          path: ["kind"],
          message: `${kind === undefined ? "missing" : `unknown kind ${JSON.stringify(kind)}`}; one of ${RECIPE_KINDS.join(", ")}`,
        }),
      ],
    };
  }
  const parsed = recipeSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.flatMap((issue) => {
        const path = issue.path as (string | number)[];
        // one line per unknown key, at the key
        if (issue.code === "unrecognized_keys")
          return issue.keys.map((key) => at({ path: [...path, key], message: "unknown field" }));
        return [at({ path, message: issue.message })];
      }),
    };
  }
  const problems = deeperProblems(parsed.data, flags);
  if (problems.length > 0) return { ok: false, errors: problems.map(at) };
  return { ok: true, recipe: parsed.data };
}
