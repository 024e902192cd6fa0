/**
 * The flags every verifying command takes, derived from the library's schemas (verifier settings,
 * engine spec, run loop), so names, bounds and defaults are written once — in the library — and a
 * command cannot quietly lack a setting another command has.
 */
import { type Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import type { z } from "zod";
import { SERVER_KINDS } from "../engines/openai-compatible/profiles.js";
import {
  DEFAULT_VERIFIER_MODEL,
  ENGINE_FLAG_HELP,
  type EngineFlagValues,
  type EngineSpec,
  EngineSpecError,
  engineSpecFromFlag,
} from "../engines/spec.js";
import {
  type SettingField,
  VERIFIER_FIELDS,
  type VerifierSettingsInput,
  verifierSettingsSchema,
} from "../verifier/settings.js";
import { CliError } from "./io.js";
import { parseShard, type Shard } from "./shard.js";

type Opts = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: options are added dynamically; values are read back through the library's zod schemas
type AnyCommand = Command<any, any, any>;

/** The innermost schema under optional/default wrappers. */
function core(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { unwrap?: () => z.ZodType };
  while (typeof s.unwrap === "function" && (s.def.type === "optional" || s.def.type === "default"))
    s = s.unwrap() as typeof s;
  return s;
}

function defaultOf(schema: z.ZodType): unknown {
  return schema.def.type === "default"
    ? (schema.def as unknown as { defaultValue: unknown }).defaultValue
    : undefined;
}

/** A commander parser that checks a value against a numeric field's bounds, saying them. */
function numberParser(flag: string, schema: z.ZodType) {
  const n = core(schema) as z.ZodNumber;
  const range =
    n.minValue !== null && n.maxValue !== null && Number.isFinite(n.maxValue)
      ? ` from ${n.minValue} to ${n.maxValue}`
      : n.minValue !== null && Number.isFinite(n.minValue)
        ? ` of at least ${n.minValue}`
        : "";
  return (value: string) => {
    const x = Number(value);
    if (value.trim() === "" || !schema.safeParse(x).success)
      throw new InvalidArgumentError(`${flag} must be ${n.isInt ? "an integer" : "a number"}${range}`);
    return x;
  };
}

/** The commander option of a settings field (its flag, help, choices, parser and default). */
export function optionFor(field: SettingField, defaultOverride?: unknown): Option | null {
  if (field.flag === null) return null;
  const s = core(field.schema);
  const dflt = defaultOverride ?? defaultOf(field.schema);
  const option = new Option(field.flag, field.help);
  const long = field.flag.match(/--[\w-]+/)![0];
  switch (s.def.type) {
    case "enum":
      option.choices((s as z.ZodEnum).options as string[]);
      break;
    case "number":
      option.argParser(numberParser(long, field.schema));
      break;
    case "boolean":
      // --x turns on a default-off switch; --no-x (default on) turns it off: commander does both
      return option;
  }
  if (dflt !== undefined) option.default(dflt);
  return option;
}

export interface VerifierOptionChoices {
  /** Command-specific defaults (e.g. eval bon's plain layout, the July best-of-N client's). */
  defaults?: Partial<Record<(typeof VERIFIER_FIELDS)[number]["key"], unknown>>;
  /** Settings this command does not take. */
  omit?: readonly (typeof VERIFIER_FIELDS)[number]["key"][];
}

/**
 * Options a step added to `cmd` (their attribute names), to tell later which of them the user typed.
 *
 * @example const verifierKeys = optionsAddedBy(cmd, () => addVerifierOptions(cmd));
 */
export function optionsAddedBy(cmd: AnyCommand, add: () => unknown): string[] {
  const before = new Set(cmd.options.map((o) => o.attributeName()));
  add();
  return cmd.options.map((o) => o.attributeName()).filter((k) => !before.has(k));
}

/** The flags among `keys` given on the command line (not defaults, not the environment), as typed. */
export function flagsGiven(cmd: AnyCommand, keys: readonly string[]): string[] {
  return cmd.options
    .filter((o) => keys.includes(o.attributeName()) && cmd.getOptionValueSource(o.attributeName()) === "cli")
    .map((o) => o.long ?? o.flags);
}

export function addVerifierOptions<C extends AnyCommand>(cmd: C, choices: VerifierOptionChoices = {}): C {
  for (const field of VERIFIER_FIELDS) {
    if (choices.omit?.includes(field.key)) continue;
    const option = optionFor(field, choices.defaults?.[field.key]);
    if (option) cmd.addOption(option as never);
  }
  return cmd;
}

/** The verifier settings a command's parsed options hold, validated by the library's schema. */
export function verifierSettingsFrom(
  opts: Opts,
  { omit = [] }: { omit?: readonly (typeof VERIFIER_FIELDS)[number]["key"][] } = {},
): VerifierSettingsInput {
  const picked: Opts = {};
  for (const f of VERIFIER_FIELDS) {
    if (f.flag === null || omit.includes(f.key)) continue;
    // commander names a value after its flag (--score → score, --no-lets-verify → letsVerify)
    const attribute = new Option(f.flag).attributeName();
    if (opts[attribute] !== undefined) picked[f.key] = opts[attribute];
  }
  const parsed = verifierSettingsSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = VERIFIER_FIELDS.find((f) => f.key === issue.path[0]);
    throw new CliError(`${field?.flag ?? String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

const int =
  (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        `${flag} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}`,
      );
    return n;
  };

/**
 * `-e/--engine` and its flags. With a `prefix` (e.g. "generator"), the same flags for a second
 * engine: `--generator <spec>`, `--generator-model`, `--generator-server-kind`, `--generator-served-model`.
 * No engine flag has a commander default: the library's spec schema supplies them, and a flag the
 * user did not give must not look given (a `--server-kind` with `--engine llama-cpp` is an error).
 */
export function addEngineOptions<C extends AnyCommand>(
  cmd: C,
  {
    prefix,
    engineDefault = "llama-cpp",
    engineHelp,
  }: { prefix?: string; engineDefault?: string | null; engineHelp?: string } = {},
): C {
  const p = prefix ? `${prefix}-` : "";
  const what = prefix ? `${prefix} engine` : "engine";
  if (prefix)
    cmd.addOption(
      new Option(`--${prefix} <spec>`, engineHelp ?? `the ${what}: ${ENGINE_FLAG_HELP.slice(8)}`) as never,
    );
  else {
    const option = new Option("-e, --engine <spec>", engineHelp ?? ENGINE_FLAG_HELP);
    if (engineDefault !== null) option.default(engineDefault);
    cmd.addOption(option as never);
  }
  cmd.addOption(
    new Option(
      prefix ? `--${p}model <model>` : "-m, --model <model>",
      `${what}, llama-cpp: a .gguf file, a checkpoint folder, hf:<repo>/<file>.gguf, or a hub repo id (default ${DEFAULT_VERIFIER_MODEL}; downloaded and converted once)`,
    ) as never,
  );
  cmd.addOption(
    new Option(
      `--${p}server-kind <kind>`,
      `${what}, openai: the server, which fixes its capabilities (default vllm)`,
    ).choices(SERVER_KINDS) as never,
  );
  cmd.addOption(
    new Option(
      `--${p}served-model <id>`,
      `${what}, openai: the model id on the server (default: the first it lists)`,
    ) as never,
  );
  if (!prefix) {
    cmd.addOption(
      new Option("--model-type <type>", "llama-cpp: conversion type for checkpoints (default q8_0)").choices([
        "f32",
        "f16",
        "q8_0",
      ]) as never,
    );
    cmd.addOption(
      new Option(
        "--threads <n>",
        "llama-cpp: CPU threads (default min(2, cores); never more than the cores)",
      ).argParser(int("--threads", 1, 256)) as never,
    );
    cmd.addOption(
      new Option("--context-size <n>", "llama-cpp: context window in tokens").argParser(
        int("--context-size", 256, 1_048_576),
      ) as never,
    );
    cmd.addOption(
      new Option("--window <n>", "openai: requests in flight per server (default 64)").argParser(
        int("--window", 1, 4096),
      ) as never,
    );
    cmd.addOption(
      new Option(
        "--max-response-mib <n>",
        "openai: largest answer accepted from a server, streamed or not, in MiB (default 64)",
      ).argParser(int("--max-response-mib", 1, 1_048_576)) as never,
    );
  }
  return cmd;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The engine spec the options name (for the prefixed engine when `prefix` is given). In commands
 * with two engines (`shared`), `--threads` and `--context-size` are for whichever engines run
 * llama.cpp — the generator inherits them — and are not an error for an HTTP verifier.
 */
export function engineSpecFrom(
  opts: Opts,
  prefix?: string,
  { shared = false }: { shared?: boolean } = {},
): EngineSpec {
  const key = (name: string) => (prefix ? camel(`${prefix}-${name}`) : camel(name));
  const value = (prefix ? opts[prefix] : opts.engine) as string;
  const flags: EngineFlagValues = {};
  const take = <K extends keyof EngineFlagValues>(k: K, name: string) => {
    const v = opts[key(name)];
    if (v !== undefined) flags[k] = v as EngineFlagValues[K];
  };
  take("model", "model");
  take("serverKind", "server-kind");
  take("servedModel", "served-model");
  const llama = value.startsWith("llama-cpp");
  if (!prefix) {
    take("modelType", "model-type");
    take("window", "window");
    take("maxResponseMib", "max-response-mib");
    // the per-item timeout is every engine's; an HTTP engine also bounds each request by it
    if (value.startsWith("openai")) take("requestTimeout", "request-timeout");
  }
  if (!prefix || llama) {
    if (opts.threads !== undefined) flags.threads = opts.threads as number;
    if (opts.contextSize !== undefined) flags.contextSize = opts.contextSize as number;
  }
  // -m names a local model: a server names its own (--served-model), a script is its own model
  if (!llama && flags.model !== undefined) {
    const kind = value.split(":")[0];
    throw new CliError(
      `${prefix ? `--${prefix}-model` : "-m/--model"} names a local model for llama-cpp; ${
        kind === "openai"
          ? "a server names its own (pick one with --served-model)"
          : `--engine ${kind} takes none`
      }`,
    );
  }
  if (!llama) {
    if (shared || prefix) {
      delete flags.threads;
      delete flags.contextSize;
    }
  }
  try {
    return engineSpecFromFlag(value, flags);
  } catch (error) {
    if (error instanceof EngineSpecError) throw new CliError(error.message);
    throw error;
  }
}

/** The run-loop flags: store, cache, resume, window of items, per-item timeout, shards. */
export function addLoopOptions<C extends AnyCommand>(cmd: C, { shard = true } = {}): C {
  cmd.addOption(
    new Option("--store <file>", "run store (SQLite): results, progress and the engine-call cache").default(
      ".thinkprm/runs.sqlite",
    ) as never,
  );
  cmd.addOption(new Option("--no-store", "keep nothing on disk (no resume)") as never);
  cmd.addOption(new Option("--no-cache", "never answer an engine call from the store's cache") as never);
  cmd.addOption(
    new Option(
      "--resume <run>",
      "continue this run (refused when the configuration differs; by default an unfinished run with the same configuration continues)",
    ) as never,
  );
  cmd.addOption(
    new Option("--force-resume", "with --resume: continue even when the configuration differs") as never,
  );
  cmd.addOption(
    new Option(
      "--concurrency <n>",
      "items in flight at once (default: what the engine declares — servers × --window for openai, 1 for llama-cpp)",
    ).argParser(int("--concurrency", 1, 100_000)) as never,
  );
  cmd.addOption(
    new Option(
      "--request-timeout <seconds>",
      "per item: past it the item is aborted and counted failed (retried on resume)",
    ).argParser(int("--request-timeout", 1, 86_400)) as never,
  );
  if (shard)
    cmd.addOption(
      new Option("--shard <i/n>", "only items i, i+n, i+2n, … (0-based), for several processes") as never,
    );
  return cmd;
}

export interface LoopValues {
  store: string | null;
  cache: boolean;
  resume?: string;
  forceResume?: boolean;
  concurrency?: number;
  itemTimeoutMs?: number;
  shard?: Shard;
}

export function loopValuesFrom(opts: Opts): LoopValues {
  return {
    store: opts.store === false ? null : (opts.store as string),
    cache: opts.cache !== false,
    ...(opts.resume ? { resume: opts.resume as string } : {}),
    ...(opts.forceResume ? { forceResume: true } : {}),
    ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency as number }),
    ...(opts.requestTimeout === undefined ? {} : { itemTimeoutMs: (opts.requestTimeout as number) * 1000 }),
    ...(opts.shard === undefined ? {} : { shard: parseShard(opts.shard as string) }),
  };
}
