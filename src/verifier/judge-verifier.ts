/**
 * LLM-as-a-judge baselines (thinkprm-spec.md §1.6, §7.2) as `Verifier`s: the paper's three prompts
 * — single yes/no, bad-step-index, decision-for-each-step — on any engine, K samples. The label is
 * read from the text after the model's thinking (`</think>`), `\boxed{}` first; a sample without an
 * extractable label is an invalid output, counted, never scored.
 */
import { parseVerificationChain } from "../core/parse-chain.js";
import { issue } from "../core/result.js";
import { addUsage, emptyUsage, type SolutionInput, type StepVerdict } from "../core/types.js";
import type { ChatTemplate } from "../engines/chat-template.js";
import type { CompletionDelta, Engine } from "../engines/types.js";
import { boxedAnswer } from "../grading/extract.js";
import { summariseChains } from "./aggregate.js";
import { guardInput, type SpecialTokenPolicy } from "./input-guard.js";
import { buildPromptParts } from "./prompt.js";
import type { ChainOutcome, Verification, VerificationEvent, Verifier } from "./types.js";

export type JudgeTemplate = "judge-single" | "judge-badstep" | "judge-each";

export interface JudgeVerifierOptions {
  engine: Engine;
  chatTemplate: ChatTemplate | null;
  template: JudgeTemplate;
  k?: number;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  specialTokens?: SpecialTokenPolicy;
}

export interface JudgeReading {
  decision: "yes" | "no" | null;
  /** Earliest wrong step (0-based), -1 for none, undefined when the output does not say. */
  firstError?: number;
  stepVerdicts?: StepVerdict[];
}

/** What the judge said, from its output (only the part after its thinking). */
export function readJudgement(text: string, template: JudgeTemplate, stepCount: number): JudgeReading {
  const close = text.lastIndexOf("</think>");
  const answer = close >= 0 ? text.slice(close + "</think>".length) : text;
  const boxed = boxedAnswer(answer)
    ?.content.replace(/\\text\{([^}]*)\}/g, "$1")
    .trim()
    .toLowerCase();
  const decision =
    boxed === "yes" || boxed === "no"
      ? boxed
      : ((/\b(yes|no)\b\W*$/i.exec(answer.trim())?.[1]?.toLowerCase() as "yes" | "no" | undefined) ?? null);
  if (template === "judge-each") {
    const parsed = parseVerificationChain(text, { stepCount, requireDecision: false });
    if (!parsed.ok || parsed.value.judgments.length === 0) return { decision: null };
    const v = parsed.value;
    return {
      decision: v.firstIncorrectStep >= 0 ? "no" : "yes",
      firstError: v.firstIncorrectStep,
      stepVerdicts: v.stepVerdicts,
    };
  }
  if (template === "judge-badstep") {
    const m = [...answer.matchAll(/earliest error step\s*[:=]?\s*\**\s*(-?\d+)/gi)].at(-1);
    const firstError = m ? Number(m[1]) : undefined;
    const valid = firstError !== undefined && firstError >= -1 && firstError < stepCount;
    return valid ? { decision: decision ?? (firstError === -1 ? "yes" : "no"), firstError } : { decision };
  }
  return decision === "yes" ? { decision, firstError: -1 } : { decision };
}

export class JudgeVerifier implements Verifier {
  readonly name: string;
  constructor(private readonly options: JudgeVerifierOptions) {
    this.name = `llm-judge:${options.template}`;
  }

  async verify(
    input: SolutionInput,
    signal?: AbortSignal,
    onEvent?: (event: VerificationEvent) => void,
  ): Promise<Verification> {
    const o = this.options;
    const stepCount = Math.max(1, input.steps.length);
    const parts = buildPromptParts(guardInput(input, o.engine, o.specialTokens ?? "refuse"), {
      template: o.template,
      chatTemplate: o.chatTemplate,
    });
    const prompt = parts.text;
    const k = o.k ?? 1;
    const temperature = o.temperature ?? (k > 1 ? 0.6 : 0);
    const chains: ChainOutcome[] = [];
    // engine failures propagate (the run loop keeps such items apart as failed, never scored)
    const res = await o.engine.complete({
      prompt,
      n: k,
      maxTokens: o.maxTokens ?? 8192,
      temperature,
      plainSpans: [parts.user],
      ...(onEvent
        ? { onDelta: (d: CompletionDelta) => onEvent({ type: "token", chain: d.index, text: d.text }) }
        : {}),
      // greedy answers do not depend on the seed; leaving it out keeps them cacheable
      ...(o.seed === undefined || temperature === 0 ? {} : { seed: o.seed }),
      ...(o.engine.eosToken ? { stop: [o.engine.eosToken] } : {}),
      ...(signal ? { signal } : {}),
    });
    for (let i = 0; i < k; i++) {
      const choice = res?.choices[i];
      const usage =
        i === 0 && res
          ? {
              ...emptyUsage(),
              promptTokens: res.usage.promptTokens,
              reusedPromptTokens: res.usage.reusedPromptTokens,
            }
          : emptyUsage();
      const text = choice?.text ?? "";
      const reading = choice ? readJudgement(text, o.template, stepCount) : { decision: null };
      const stepVerdicts: StepVerdict[] =
        reading.stepVerdicts ??
        (reading.firstError === undefined
          ? Array.from({ length: stepCount }, () => "unverified" as const)
          : Array.from({ length: stepCount }, (_, s) =>
              reading.firstError === -1 || s < reading.firstError!
                ? "correct"
                : s === reading.firstError
                  ? "incorrect"
                  : "unverified",
            ));
      const problems = [];
      if (!choice) problems.push(issue("engine_error", "the engine returned fewer samples than asked"));
      else if (choice.finishReason === "length")
        problems.push(issue("truncated", "the judgement hit the token limit"));
      else if (reading.decision === null && reading.firstError === undefined)
        problems.push(
          issue(
            "missing_decision",
            "no extractable label (\\boxed{yes|no}, an error index, or step verdicts)",
          ),
        );
      chains.push({
        index: i,
        text,
        rounds: choice ? 1 : 0,
        roundEnds: [text.length],
        roundTokens: [choice?.generatedTokens ?? 0],
        finishReason: choice ? choice.finishReason : "error",
        valid: problems.length === 0,
        issues: problems,
        warnings: [],
        judgments: [],
        stepVerdicts,
        firstIncorrectStep: stepVerdicts.indexOf("incorrect"),
        stepScores: [],
        score:
          problems.length === 0 && reading.decision !== null ? (reading.decision === "yes" ? 1 : 0) : null,
        usage: addUsage(usage, { generatedTokens: choice?.generatedTokens ?? 0 }),
      });
    }
    const verification = summariseChains(input.id, prompt, stepCount, chains);
    onEvent?.({ type: "done", verification });
    return verification;
  }
}
