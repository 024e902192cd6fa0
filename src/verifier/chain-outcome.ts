/**
 * From a generated chain and its decision to a `ChainOutcome`: parse, check validity, score.
 * Pure: no engine calls here.
 */
import { parseVerificationChain } from "../core/parse-chain.js";
import { type Issue, issue } from "../core/result.js";
import { stepScoresFromTokens } from "../core/step-scores.js";
import { addUsage } from "../core/types.js";
import type { VerifySettings } from "./settings.js";
import type { Decision, RawChain } from "./thinkprm-verifier.js";
import type { ChainOutcome } from "./types.js";

export function evaluateChain(
  raw: RawChain,
  decision: Decision,
  stepCount: number,
  settings: Pick<VerifySettings, "onTruncated">,
): ChainOutcome {
  const usage = addUsage(raw.usage, decision.usage);
  const parsed = parseVerificationChain(raw.text, { stepCount, requireDecision: false });
  // requireDecision is false and finishReason is not passed, so parsing cannot fail here
  const p = parsed.ok ? parsed.value : undefined;
  const outcome: ChainOutcome = {
    index: raw.index,
    text: raw.text,
    rounds: raw.rounds,
    roundEnds: raw.roundEnds,
    roundTokens: raw.roundTokens,
    finishReason: raw.finishReason,
    valid: true,
    issues: [],
    warnings: p ? [...p.warnings] : [],
    judgments: p?.judgments ?? [],
    stepVerdicts: p?.stepVerdicts ?? [],
    firstIncorrectStep: p?.firstIncorrectStep ?? -1,
    stepScores: [],
    score: null,
    usage,
  };
  if (raw.tokens && outcome.judgments.length > 0) {
    outcome.stepScores = stepScoresFromTokens(raw.text, raw.tokens, outcome.judgments);
  } else {
    outcome.stepScores = outcome.judgments.map(() => null);
  }
  if (raw.earlyExit && outcome.firstIncorrectStep >= 0) {
    const judged = outcome.firstIncorrectStep + 1;
    const stepsSkipped = stepCount - judged;
    outcome.earlyExit = {
      atStep: outcome.firstIncorrectStep,
      stepsSkipped,
      // the chain's own rate of tokens per judged step, times the steps it did not have to judge
      estimatedTokensSaved: Math.round((raw.usage.generatedTokens / judged) * stepsSkipped),
    };
  }

  const invalid = (...issues: Issue[]) => {
    outcome.valid = false;
    outcome.issues.push(...issues);
    outcome.score = null;
    return outcome;
  };
  if (raw.finishReason === "error") {
    return invalid(
      issue("engine_error", `the engine failed while generating the chain: ${raw.error ?? "unknown error"}`),
    );
  }
  if (raw.runaway) {
    // stopped while looping or overthinking: never scored, whatever the rest of the chain says
    return invalid(issue("repetition", `the chain ran away and was stopped: ${raw.runaway}`));
  }
  if (raw.finishReason === "length") {
    const truncated = issue("truncated", "the verification chain hit the token limit before it finished");
    if (settings.onTruncated === "invalid") return invalid(truncated);
    outcome.warnings.push(truncated); // force-decision: scored anyway, and said so
  }
  switch (decision.kind) {
    case "skipped":
      return invalid(issue("engine_error", "no decision was read for this chain"));
    case "error":
      return invalid(
        issue("engine_error", `the engine failed while reading the decision: ${decision.message}`),
      );
    case "absent":
      outcome.decisionLogprobs = decision.logprobs;
      return invalid(
        issue("choice_token_absent", "neither Yes nor No was among the engine's returned probabilities"),
      );
    case "vote":
      if (decision.vote === null) {
        return invalid(issue("missing_decision", "the chain's continuation did not start with Yes or No"));
      }
      outcome.score = decision.vote;
      return outcome;
    case "probabilities":
      outcome.decisionLogprobs = decision.logprobs;
      if (decision.logprobs.yes === null || decision.logprobs.no === null) {
        const which = decision.logprobs.yes === null ? "Yes" : "No";
        outcome.warnings.push(
          issue(
            "choice_token_absent",
            `${which} was not among the returned probabilities; its probability was taken as 0`,
          ),
        );
      }
      outcome.score = decision.score;
      return outcome;
  }
}
