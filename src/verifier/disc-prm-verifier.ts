/**
 * Discriminative PRM baselines as `Verifier`s: P("+") / (P("+") + P("-")) at each step separator,
 * read as next-token probabilities (the engine reuses each prefix for the next), the solution score
 * is the last step's (as the paper scores DiscPRM), and the first step below the threshold is the
 * predicted error.
 */
import { discPrmPrefixes, mathShepherdPrefixes } from "../core/disc-prm-format.js";
import { issue } from "../core/result.js";
import { addUsage, emptyUsage, type SolutionInput, type StepVerdict } from "../core/types.js";
import { EngineCapabilityError } from "../engines/errors.js";
import type { Engine } from "../engines/types.js";
import { summariseChains } from "./aggregate.js";
import { guardInput, type SpecialTokenPolicy } from "./input-guard.js";
import type { ChainOutcome, Verification, VerificationEvent, Verifier } from "./types.js";

export type DiscFormat = "disc-prm" | "math-shepherd";

export class DiscPrmVerifier implements Verifier {
  readonly name: string;
  constructor(
    private readonly engine: Engine,
    private readonly format: DiscFormat,
    private readonly threshold = 0.5,
    private readonly specialTokens: SpecialTokenPolicy = "refuse",
  ) {
    this.name = `discriminative:${format}`;
    if (!engine.capabilities.candidateLogprobs) {
      throw new EngineCapabilityError(
        "candidateLogprobs",
        `a discriminative PRM needs next-token probabilities, which the ${engine.provider} engine does not give`,
      );
    }
  }

  async verify(
    raw: SolutionInput,
    signal?: AbortSignal,
    onEvent?: (event: VerificationEvent) => void,
  ): Promise<Verification> {
    const input = guardInput(raw, this.engine, this.specialTokens);
    const steps = input.steps.length === 0 ? [""] : input.steps;
    const prefixes =
      this.format === "disc-prm"
        ? discPrmPrefixes(input.problem, steps)
        : mathShepherdPrefixes(input.problem, steps);
    const stepScores: (number | null)[] = [];
    let usage = emptyUsage();
    // engine failures propagate (the run loop keeps such items apart as failed, never scored)
    for (const prefix of prefixes) {
      // no chat template here: the whole prefix is question and steps, all of it plain text
      const r = await this.engine.nextTokenProbabilities(prefix, ["+", "-"], {
        plainSpans: [[0, prefix.length]],
        ...(signal ? { signal } : {}),
      });
      usage = addUsage(usage, {
        promptTokens: r.usage.promptTokens,
        reusedPromptTokens: r.usage.reusedPromptTokens,
      });
      const [plus, minus] = r.candidates.map((c) => (c.logprob === null ? 0 : Math.exp(c.logprob)));
      stepScores.push(plus! + minus! > 0 ? plus! / (plus! + minus!) : null);
    }
    const complete = stepScores.length === steps.length && stepScores.every((s) => s !== null);
    const firstBad = complete ? stepScores.findIndex((s) => s! < this.threshold) : -1;
    const stepVerdicts: StepVerdict[] = steps.map((_, i) =>
      !complete
        ? "unverified"
        : firstBad === -1 || i < firstBad
          ? "correct"
          : i === firstBad
            ? "incorrect"
            : "unverified",
    );
    const chain: ChainOutcome = {
      index: 0,
      text: "",
      rounds: 1,
      roundEnds: [0],
      roundTokens: [0],
      finishReason: "stop",
      valid: complete,
      issues: complete
        ? []
        : [issue("choice_token_absent", "neither + nor - had a probability at a separator")],
      warnings: [],
      judgments: [],
      stepVerdicts,
      firstIncorrectStep: firstBad,
      stepScores,
      score: complete ? stepScores.at(-1)! : null,
      usage,
    };
    const verification = summariseChains(input.id, prefixes.at(-1) ?? "", steps.length, [chain]);
    onEvent?.({ type: "done", verification });
    return verification;
  }
}
