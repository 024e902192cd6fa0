/**
 * The one settings schema for verification. Each setting is written once here — its name, its
 * bounds, its default, its CLI flag, its HTTP field, its help — and everything else derives from
 * this table: the zod schemas the library parses, the flags every verifying command takes, and
 * the body `POST /v1/verify` accepts. A default like 8172 exists in exactly one place.
 */
import { z } from "zod";

/** Trigger phrases of the paper's sequential scaling (rounds 2, 3, 4), appended verbatim. */
export const THINKING_ROUND_TRIGGERS = [
  "Let me double check",
  "Let's verify again",
  "Did I miss something?",
] as const;

/** The paper's generation budget (8192) less the official client's margin of 20. */
export const DEFAULT_MAX_TOKENS = 8172;

/** The verifiers a command can run. */
export const VERIFIER_METHODS = [
  "thinkprm",
  "judge-single",
  "judge-badstep",
  "judge-each",
  "disc-prm",
  "math-shepherd",
] as const;
export type VerifierMethod = (typeof VERIFIER_METHODS)[number];

export interface SettingField {
  /** The key in the settings object. */
  key: string;
  schema: z.ZodType;
  help: string;
  /** The CLI flag (`--early-exit`, `--max-tokens <n>`, `--no-lets-verify`); null: library only. */
  flag: string | null;
  /** The HTTP body field; null: not settable per request. */
  http: string | null;
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Settings of the ThinkPRM verifier (what `ThinkPrmVerifier` parses). */
export const THINKPRM_FIELDS = [
  {
    key: "k",
    schema: int(1, 64).default(1),
    flag: "-k, --k <n>",
    http: "k",
    help: "parallel verification chains; the score is their mean (ThinkPRM@K)",
  },
  {
    key: "rounds",
    schema: int(1, THINKING_ROUND_TRIGGERS.length + 1).default(1),
    flag: "--rounds <n>",
    http: "rounds",
    help: "thinking rounds per chain (sequential scaling; rounds 2-4 start with the paper's trigger phrases)",
  },
  {
    key: "earlyExit",
    schema: z.boolean().default(false),
    flag: "--early-exit",
    http: "early_exit",
    help: "stop a chain at its first \\boxed{incorrect} and go straight to the decision",
  },
  {
    key: "maxTokens",
    schema: int(1, 1_048_576).default(DEFAULT_MAX_TOKENS),
    flag: "--max-tokens <n>",
    http: "max_tokens",
    help: "generation budget per round (the paper: 8192 - 20)",
  },
  {
    key: "temperature",
    schema: z.number().min(0).max(2).optional(),
    flag: "--temperature <t>",
    http: "temperature",
    help: "sampling temperature (default 0 for one chain, 0.6 — the paper's — for K > 1)",
  },
  {
    key: "topP",
    schema: z.number().gt(0).max(1).optional(),
    flag: "--top-p <p>",
    http: "top_p",
    help: "nucleus sampling (default: the engine's, 1)",
  },
  {
    key: "seed",
    schema: int(0, 2 ** 31 - 1).optional(),
    flag: "--seed <n>",
    http: "seed",
    help: "sampling seed; chain i uses seed + i (default: drawn once per run and recorded, so a resume reproduces it)",
  },
  {
    key: "layout",
    schema: z.enum(["numbered", "plain"]).default("numbered"),
    flag: "--layout <layout>",
    http: "layout",
    help: "step layout in the prompt: numbered (Step k:, the official prefix mode) or plain (the July best-of-N client)",
  },
  {
    key: "instruction",
    schema: z.string().min(1).max(4000).optional(),
    flag: "--instruction <text>",
    http: "instruction",
    help: "replace the trained ThinkPRM instruction",
  },
  {
    key: "letsVerifySuffix",
    schema: z.boolean().default(true),
    flag: "--no-lets-verify",
    http: "lets_verify",
    help: "omit the \"\\nLet's verify step by step:\" suffix (the Oct 2025 code's behaviour)",
  },
  {
    key: "decisionMode",
    schema: z.enum(["paper", "sglang"]).default("paper"),
    flag: "--decision <mode>",
    http: "decision",
    help: "paper: P(' Yes') vs P(' No') after </think>; sglang: the July client's lower-case, length-normalised choices",
  },
  {
    key: "decisionTemperature",
    schema: z.number().gt(0).max(100).default(1),
    flag: "--decision-temperature <t>",
    http: "decision_temperature",
    help: "softmax temperature of the Yes/No decision (what `thinkprm calibrate` fits)",
  },
  {
    key: "stepMax",
    schema: z.enum(["numeric", "lexicographic"]).default("numeric"),
    flag: "--step-max <rule>",
    http: "step_max",
    help: "the Step {max+1}: stop rule; lexicographic reproduces the official bug (cuts 10+-step solutions)",
  },
  {
    key: "onTruncated",
    schema: z.enum(["invalid", "force-decision"]).default("invalid"),
    flag: "--on-truncated <what>",
    http: "on_truncated",
    help: "a chain cut off at --max-tokens: invalid, or force-decision (the July client scores it anyway)",
  },
  {
    key: "scoreWith",
    schema: z.enum(["probabilities", "vote"]).default("probabilities"),
    flag: "--score <how>",
    http: "score",
    help: "probabilities (the P(Yes) share) or vote (the chain's own Yes/No, for engines without logprobs)",
  },
  {
    key: "specialTokens",
    schema: z.enum(["refuse", "escape"]).default("refuse"),
    flag: "--special-tokens <how>",
    http: "special_tokens",
    help: "candidate text holding a special-token string (<|im_end|>, <｜end▁of▁sentence｜>, …) for an HTTP engine, whose server would read it as a control token: refuse it, or escape it (a zero-width space after its '<'); the embedded engine always reads candidate text as plain text",
  },
  {
    key: "runaway",
    schema: z.enum(["off", "on"]).default("off"),
    flag: "--runaway <mode>",
    http: "runaway",
    help: "on: stop a chain that loops (a block repeated 4 times), re-judges one step 3 times or spends ~2,300 tokens on one step, and count it invalid (repetition) — it saves the tokens such chains would burn to the limit; off: the paper's behaviour",
  },
  {
    key: "adaptiveK",
    schema: z.boolean().default(false),
    flag: "--adaptive-k",
    http: "adaptive_k",
    help: "sample chains one at a time and stop once the score is settled (the chains agree, or the 90% interval of their mean excludes 0.5), up to --k-max",
  },
  {
    key: "kMax",
    schema: int(1, 64).default(8),
    flag: "--k-max <n>",
    http: "k_max",
    help: "with --adaptive-k: the most chains per solution",
  },
  {
    key: "mode",
    schema: z.enum(["whole", "per-step"]).default("whole"),
    flag: "--mode <mode>",
    http: "mode",
    help: "whole: one chain judges every step (the paper); per-step: each prefix (steps 1…i) verified by its own chain, in parallel — the first prefix judged wrong is the first error",
  },
  {
    key: "prefixMode",
    schema: z.boolean().optional(),
    flag: null,
    http: null,
    help: "add the Step {max+1}: stop (default: on for the numbered layout, as the official prefix mode)",
  },
  {
    key: "stepScores",
    schema: z.boolean().default(true),
    flag: null,
    http: null,
    help: "ask for token logprobs to compute per-step scores (when the engine has them)",
  },
] as const satisfies readonly SettingField[];

/** Settings every verifier method shares, besides the ThinkPRM ones. */
export const VERIFIER_FIELDS = [
  {
    key: "method",
    schema: z.enum(VERIFIER_METHODS).default("thinkprm"),
    flag: "--method <method>",
    http: null,
    help: "the verifier: ThinkPRM, an LLM-as-a-judge prompt (judge-single, judge-badstep, judge-each), or a discriminative PRM (disc-prm, math-shepherd)",
  },
  {
    key: "chatTemplate",
    schema: z.string().min(1).default("auto"),
    flag: "--chat-template <value>",
    // a path a request names would be read from the server's disk: the server decides its template
    http: null,
    help: "chat template: auto (the model's own, else r1-distill-qwen), r1-distill-qwen, qwen2.5, a tokenizer_config.json path, or none",
  },
  ...THINKPRM_FIELDS,
] as const satisfies readonly SettingField[];

type FieldShape<F extends readonly SettingField[]> = {
  [E in F[number] as E["key"]]: E["schema"];
};

function shapeOf<F extends readonly SettingField[]>(fields: F): FieldShape<F> {
  return Object.fromEntries(fields.map((f) => [f.key, f.schema])) as FieldShape<F>;
}

export const verifySettingsSchema = z.object(shapeOf(THINKPRM_FIELDS));
export type VerifySettings = z.output<typeof verifySettingsSchema>;
export type VerifySettingsInput = z.input<typeof verifySettingsSchema>;

/**
 * Settings that would be silently ignored together: refused, so a user never believes a run
 * used an option it did not. (`k` and `kMax` are compared with their defaults: commander and
 * HTTP bodies fill defaults, so a non-default value is one someone asked for.)
 */
function conflicts(
  s: { method: string; k: number; adaptiveK: boolean; kMax: number; mode: string; runaway: string },
  ctx: z.RefinementCtx,
): void {
  const refuse = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (s.adaptiveK && s.k > 1)
    refuse("k", "adaptive K chooses how many chains to sample (up to --k-max / k_max); drop -k / k");
  if (!s.adaptiveK && s.kMax !== 8) refuse("kMax", "applies only with --adaptive-k / adaptive_k");
  if (s.method !== "thinkprm") {
    if (s.mode !== "whole")
      refuse("mode", `per-step verification is a thinkprm method option, not ${s.method}'s`);
    if (s.adaptiveK) refuse("adaptiveK", `adaptive K is a thinkprm method option, not ${s.method}'s`);
    if (s.runaway !== "off")
      refuse("runaway", `runaway detection is a thinkprm method option, not ${s.method}'s`);
  }
}

export const verifierSettingsSchema = z.object(shapeOf(VERIFIER_FIELDS)).superRefine(conflicts);
export type VerifierSettings = z.output<typeof verifierSettingsSchema>;
export type VerifierSettingsInput = z.input<typeof verifierSettingsSchema>;

/** The HTTP body fields of the settings (snake_case), with the same bounds and defaults. */
export function httpSettingsShape(): Record<string, z.ZodType> {
  return Object.fromEntries(
    VERIFIER_FIELDS.filter((f) => f.http !== null).map((f) => [f.http as string, f.schema]),
  );
}

/** An HTTP body's setting fields → settings keys (`max_tokens` → `maxTokens`). */
export function settingsFromHttp(body: Record<string, unknown>): Partial<VerifierSettingsInput> {
  const out: Record<string, unknown> = {};
  for (const f of VERIFIER_FIELDS)
    if (f.http !== null && body[f.http] !== undefined) out[f.key] = body[f.http];
  return out as Partial<VerifierSettingsInput>;
}
