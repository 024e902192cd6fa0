/**
 * A rule-based teacher for the synthetic last-digit task: an `EngineV1` that reads the paper's
 * teacher prompt (thinkprm-spec.md §1.6), checks each step with `checkSum`, and writes
 * a verification chain in the teacher format — `Let's verify step by step:` (after a blank line, see
 * `teacherChain`), then per step
 * `Step k: <critique> The step is \boxed{correct|incorrect}`, stopping after the first incorrect
 * step, as the teacher prompt asks.
 *
 * It is *sometimes wrong*, on purpose and seeded, so that filtering matters as it did for the
 * paper's QwQ teacher (about 20% of its chains passed):
 * - `miss`: an erroneous step is waved through (the critique copies the step's own sum);
 * - `falseAlarm`: a right step is called wrong (the critique miscomputes the sum);
 * - `blameLast`: after a miss, when the final answer is wrong, the answer step is blamed instead
 *   of the real first error — the chain ends right (the solution is wrong) for the wrong reason,
 *   which outcome-based filtering keeps and process-based filtering rejects;
 * - `formatSlip`: one verdict is written without its `\boxed{}`.
 *
 * Each chain closes with `The answer is right|wrong.` after its last verdict (cut away by the
 * cleaning step; the outcome filter looks for "The answer is", as the official code does).
 *
 * Sampling: at temperature 0 every sample of a prompt is the same chain (greedy); above 0 each
 * sample index draws its own mistakes. Everything is a function of (seed, prompt, sample index).
 */

import { seededStream } from "../../core/seeded-random.js";
import { EngineCapabilityError, EngineError } from "../errors.js";
import { ScriptedEngine } from "../scripted.js";
import type {
  CompletionRequest,
  CompletionResult,
  EngineCapabilities,
  EngineV1,
  ProbabilitiesResult,
} from "../types.js";
import { checkSum, parseSumProblem, type StepCheck } from "./last-digit-check.js";

export interface TeacherMistakes {
  miss: number;
  falseAlarm: number;
  blameLast: number;
  formatSlip: number;
}

/** Rates chosen so that a good share of chains is rejected (see bench:learn for the yields). */
export const DEFAULT_TEACHER_MISTAKES: TeacherMistakes = {
  miss: 0.25,
  falseAlarm: 0.04,
  blameLast: 0.8,
  formatSlip: 0.03,
};

/** The problem and steps of a teacher (or ThinkPRM) prompt, whatever chat template wraps it. */
export function readPrompt(prompt: string): { problem: string; steps: string[] } | null {
  const p = prompt.indexOf("[Math Problem]");
  const s = prompt.indexOf("[Solution]", p);
  const r = prompt.indexOf("\nReview and critique", s);
  if (p < 0 || s < 0 || r < 0) return null;
  const problem = prompt.slice(p + "[Math Problem]".length, s).trim();
  const solution = prompt.slice(s + "[Solution]".length, r).trim();
  const parts = solution.split(/^Step \d+: ?/m);
  if (parts[0]?.trim() !== "") return null;
  return { problem, steps: parts.slice(1).map((x) => x.trim()) };
}

const box = (right: boolean) => `The step is \\boxed{${right ? "correct" : "incorrect"}}`;

/** The critique of one step, judged `right` (which may differ from the truth when the teacher errs). */
function critique(k: number, c: StepCheck, judged: boolean, rand: () => number): string {
  const head = `Step ${k + 1}:`;
  if (c.kind === "unreadable") return `${head} This step is not one addition of the solution.`;
  if (c.kind === "answer") {
    return judged
      ? `${head} The last digit is ${c.claimed}.`
      : `${head} The last digit is ${c.expected}, and the step has ${compared(c.claimed, c.expected)}.`;
  }
  if (judged === c.right) {
    const extra = c.problem ? ` Also, ${c.problem}.` : "";
    return `${head} ${c.operands} is ${c.sum}, and the step has ${compared(c.claimed, c.sum)}.${extra}`;
  }
  // a mistaken judgement: the teacher miscomputes the sum
  const wrongSum = judged ? c.claimed : c.sum + (rand() < 0.5 || c.sum === 0 ? 1 : -1);
  return `${head} ${c.operands} is ${wrongSum}, and the step has ${compared(c.claimed, wrongSum)}.`;
}

/**
 * The step's number set against the computed one, the comparison written right after it: `12 == 12`,
 * `11 != 12`. The verdict then follows from a token the chain has already written. Measured on
 * bench:learn's student: with the bare "the step has 11" it computed and copied both numbers right
 * and still wrote \boxed{correct} on most wrong steps (a comparison made at the verdict, two lookups
 * away, was not learned in the budget); here the comparison is made where the step's number is.
 */
const compared = (claimed: number | string, computed: number | string) =>
  `${claimed} ${String(claimed) === String(computed) ? "==" : "!="} ${computed}`;

/** The teacher's chain for one prompt, drawn from `rand`; null when the prompt is not this task's. */
export function teacherChain(prompt: string, rand: () => number, mistakes: TeacherMistakes): string | null {
  const read = readPrompt(prompt);
  const addends = read && parseSumProblem(read.problem);
  if (!read || !addends) return null;
  const check = checkSum(addends, read.steps);
  // the chain opens with a blank line, so that the training sequence reads `<think>\n\nLet's verify
  // step by step:` — byte for byte the prompt the verifier runs with (the paper-era suffix). A
  // student of a million parameters does not bridge the one-token difference the official data
  // has there (measured: it wrote " 1: …" instead of "Step 1: …" and judged at random).
  const lines = ["\nLet's verify step by step:"];
  let missed = false;
  let allRight = true;
  for (const [k, c] of check.steps.entries()) {
    let judged = c.right;
    if (c.kind === "sum" && c.right && rand() < mistakes.falseAlarm) judged = false;
    else if (c.kind === "sum" && !c.right && !c.problem && rand() < mistakes.miss) {
      judged = true;
      missed = true;
    } else if (
      c.kind === "answer" &&
      c.right &&
      missed &&
      !check.finalAnswerRight &&
      rand() < mistakes.blameLast
    ) {
      const truth = addends.reduce((a, b) => a + b, 0) % 10;
      lines.push(
        `Step ${k + 1}: The last digit is ${truth}, and the step has ${compared(c.claimed, truth)}. ${box(false)}`,
      );
      allRight = false;
      break;
    }
    lines.push(`${critique(k, c, judged, rand)} ${box(judged)}`);
    if (!judged) {
      allRight = false;
      break;
    }
  }
  if (rand() < mistakes.formatSlip) {
    const i = 1 + Math.floor(rand() * (lines.length - 1));
    lines[i] = lines[i]!.replace(/\\boxed\{(\w+)\}/, "$1");
  }
  return `${lines.join("\n")}\nThe answer is ${allRight ? "right" : "wrong"}.`;
}

/** `synthetic-teacher:miss=0.2,false-alarm=0.05` → mistakes (unknown keys and bad rates are errors). */
export function parseTeacherOptions(spec: string): TeacherMistakes {
  const out = { ...DEFAULT_TEACHER_MISTAKES };
  const keys: Record<string, keyof TeacherMistakes> = {
    miss: "miss",
    "false-alarm": "falseAlarm",
    "blame-last": "blameLast",
    "format-slip": "formatSlip",
  };
  const seen = new Set<string>();
  for (const part of spec.split(",").filter((x) => x.trim() !== "")) {
    const [name, value, ...rest] = part.split("=").map((x) => x.trim());
    const key = name === undefined ? undefined : keys[name];
    // a plain decimal in [0, 1] (Number() would also take 0x1, 1e-0, Infinity)
    const rate = /^(?:0|1|0?\.\d+|1\.0*|0\.)$/.test(value ?? "") ? Number(value) : Number.NaN;
    if (!key || rest.length > 0 || !(rate >= 0 && rate <= 1)) {
      throw new Error(
        `synthetic-teacher: cannot read "${part}"; write name=rate with rates from 0 to 1 (e.g. miss=0.2), names: ${Object.keys(keys).join(", ")}`,
      );
    }
    if (seen.has(key)) throw new Error(`synthetic-teacher: ${name} is given twice`);
    seen.add(key);
    out[key] = rate;
  }
  return out;
}

const CAPABILITIES: EngineCapabilities = {
  candidateLogprobs: false,
  topLogprobs: 0,
  promptLogprobs: false,
  prefixCaching: false,
  parallelSamples: true,
  reportsStopSequence: true,
  seed: true,
};

/** The teacher as an engine (`thinkprm synth --teacher synthetic-teacher[:<options>]`). */
export class SyntheticTeacherEngine implements EngineV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "synthetic-teacher";
  readonly modelId: string;
  readonly capabilities = CAPABILITIES;
  readonly mistakes: TeacherMistakes;
  private readonly inner: ScriptedEngine;

  constructor(mistakes: Partial<TeacherMistakes> = {}) {
    this.mistakes = { ...DEFAULT_TEACHER_MISTAKES, ...mistakes };
    const m = this.mistakes;
    this.modelId = `last-digit teacher (miss ${m.miss}, false alarm ${m.falseAlarm}, blame last ${m.blameLast}, format slip ${m.formatSlip})`;
    // the scripted engine supplies what a real engine does around the text: n samples, stop
    // strings, the token limit, usage
    this.inner = new ScriptedEngine({
      modelId: this.modelId,
      capabilities: CAPABILITIES,
      respond: (request, i) => {
        const salt = (request.temperature ?? 0) > 0 ? `${request.prompt}#${i}` : request.prompt;
        const chain = teacherChain(request.prompt, seededStream(request.seed ?? 0, salt), this.mistakes);
        if (chain === null)
          return new EngineError(
            "synthetic-teacher reads only last-digit prompts ([Math Problem] What is the last digit of 9+3+6? … [Solution] Step 1: …); make them with thinkprm dev synthetic-task",
          );
        return chain;
      },
    });
  }

  /** From the text after `synthetic-teacher:` (empty: the defaults). */
  static fromSpec(options: string): SyntheticTeacherEngine {
    return new SyntheticTeacherEngine(parseTeacherOptions(options));
  }

  complete(request: CompletionRequest): Promise<CompletionResult> {
    return this.inner.complete(request);
  }

  async nextTokenProbabilities(): Promise<ProbabilitiesResult> {
    throw new EngineCapabilityError(
      "candidateLogprobs",
      "the synthetic teacher writes chains only; it has no token probabilities",
    );
  }
}
