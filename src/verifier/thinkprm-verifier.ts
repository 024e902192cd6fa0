/**
 * ThinkPRM verification of one solution with any engine (thinkprm-spec.md §2–3):
 * K parallel chains × R sequential rounds, optional early exit, and the decision read as a
 * continuation of each chain. Invalid chains are explicit outcomes, never scores.
 */

import { DECISION_SPECS, decisionScore } from "../core/decision-score.js";
import { quotedSource } from "../core/runaway.js";
import { DECISION_QUESTION, verifierStopStrings } from "../core/stop-strings.js";
import { emptyUsage, type SolutionInput, type TokenUsage } from "../core/types.js";
import type { ChatTemplate } from "../engines/chat-template.js";
import { EngineCapabilityError, EngineError } from "../engines/errors.js";
import type { Engine } from "../engines/types.js";
import { summariseChains } from "./aggregate.js";
import { ChainEvents } from "./chain-events.js";
import { evaluateChain } from "./chain-outcome.js";
import {
  ChainWriter,
  EARLY_EXIT_STOPS,
  fromEngineUsage,
  type PromptContext,
  type RawChain,
  spansWithChain,
} from "./chain-writer.js";
import { guardInput } from "./input-guard.js";
import { buildPromptParts, type PromptParts, thinkingIsOpen } from "./prompt.js";
import { type VerifySettings, type VerifySettingsInput, verifySettingsSchema } from "./settings.js";
import type { ChainOutcome, Verification, VerificationEvent, Verifier } from "./types.js";

export interface ThinkPrmVerifierOptions extends VerifySettingsInput {
  engine: Engine;
  /** The model's chat template; `null` sends the bare user message. */
  chatTemplate: ChatTemplate | null;
}

export class ThinkPrmVerifier implements Verifier {
  readonly name = "thinkprm";
  readonly engine: Engine;
  readonly chatTemplate: ChatTemplate | null;
  readonly settings: VerifySettings;
  private readonly writer: ChainWriter;

  constructor(options: ThinkPrmVerifierOptions) {
    const { engine, chatTemplate, ...settings } = options;
    this.engine = engine;
    this.chatTemplate = chatTemplate;
    this.settings = verifySettingsSchema.parse(settings);
    this.writer = new ChainWriter(engine, this.settings);
    this.checkCapabilities();
  }

  /** Fails fast, with the fix, when the engine cannot do what the settings ask. */
  private checkCapabilities(): void {
    const caps = this.engine.capabilities;
    if (this.settings.scoreWith === "probabilities" && !caps.candidateLogprobs) {
      throw new EngineCapabilityError(
        "candidateLogprobs",
        `the ${this.engine.provider} engine (${this.engine.modelId}) returns no token probabilities, so P(Yes) cannot be read; use a server that returns logprobs, or score by vote (--score vote) if a 0/1 vote share is acceptable`,
      );
    }
    if (this.settings.earlyExit && !caps.reportsStopSequence) {
      throw new EngineCapabilityError(
        "reportsStopSequence",
        `early exit needs an engine that reports which stop string matched; the ${this.engine.provider} engine does not. Run without --early-exit`,
      );
    }
  }

  /** The raw prompt for a solution. */
  prompt(input: SolutionInput): string {
    return this.promptParts(input).text;
  }

  /** The raw prompt with the span of its user message (the candidate's text lies there). */
  promptParts(input: SolutionInput): PromptParts {
    return buildPromptParts(input, {
      template: "thinkprm",
      chatTemplate: this.chatTemplate,
      layout: this.settings.layout,
      letsVerifySuffix: this.settings.letsVerifySuffix,
      ...(this.settings.instruction === undefined ? {} : { instruction: this.settings.instruction }),
    });
  }

  /**
   * Verifies one solution. Candidate text never becomes control tokens: the engine reads the user
   * message as plain text, or — for engines that cannot promise it — special-token strings are
   * refused or escaped (`specialTokens`). Engine failures propagate (a verification the engine
   * could not finish has no score).
   */
  async verify(
    input: SolutionInput,
    signal?: AbortSignal,
    onEvent?: (event: VerificationEvent) => void,
  ): Promise<Verification> {
    const s = this.settings;
    const parts = this.promptParts(guardInput(input, this.engine, s.specialTokens));
    const stepCount = Math.max(1, input.steps.length);
    const stop = verifierStopStrings(parts.text, {
      ...(this.engine.eosToken ? { eosToken: this.engine.eosToken } : {}),
      prefixMode: s.prefixMode ?? s.layout === "numbered",
      stepMax: s.stepMax,
    });
    if (s.earlyExit) stop.push(...EARLY_EXIT_STOPS);
    const ctx: PromptContext = {
      prompt: parts.text,
      plainSpans: [parts.user],
      // only the template's text after the message says whether thinking is open
      thinking: thinkingIsOpen(parts.text, parts.user[1]),
      events: new ChainEvents(onEvent, stepCount),
      stepCount,
      stop,
      quoted: quotedSource(input.problem, input.steps),
    };
    const chains: ChainOutcome[] = [];
    const judge = async (raws: RawChain[]) => {
      for (const raw of raws) {
        const decision = await this.decide(ctx, raw, signal);
        const outcome = evaluateChain(raw, decision, stepCount, s);
        chains.push(outcome);
        ctx.events.event({ type: "decision", chain: raw.index, score: outcome.score, valid: outcome.valid });
      }
    };
    if (s.adaptiveK) {
      // one chain at a time, until the chains settle the score or --k-max is reached
      for (let i = 0; i < s.kMax && !scoreSettled(chains); i++)
        await judge(await this.writer.write(ctx, i, 1, signal));
    } else {
      await judge(await this.writer.write(ctx, 0, s.k, signal));
    }
    const verification = summariseChains(input.id, parts.text, stepCount, chains);
    ctx.events.event({ type: "done", verification });
    return verification;
  }

  /**
   * The decision, as a continuation of the chain. In `paper` mode, when the prompt opened a
   * `<think>` block and the chain did not itself stop at the decision question, `</think>` is put
   * back on its own line first, so the model sees the exact trained shape
   * `…\boxed{…}\n</think>\nIs the solution correct?`. The July client (`sglang` mode) appends the
   * question without `</think>` (thinkprm-spec.md §8.2 item 4); that mode keeps its behaviour.
   */
  private async decide(ctx: PromptContext, raw: RawChain, signal?: AbortSignal): Promise<Decision> {
    if (raw.finishReason === "length" && this.settings.onTruncated === "invalid") {
      return { kind: "skipped", usage: emptyUsage() };
    }
    const spec = DECISION_SPECS[this.settings.decisionMode];
    const closeThink =
      this.settings.decisionMode === "paper" && ctx.thinking && raw.lastStop !== DECISION_QUESTION;
    const closing = closeThink ? `${raw.text.endsWith("\n") ? "" : "\n"}</think>` : "";
    const decisionPrompt = ctx.prompt + raw.text + closing + spec.predecision;
    if (this.settings.scoreWith === "vote") {
      const res = await this.engine.complete({
        prompt: decisionPrompt,
        maxTokens: 3,
        temperature: 0,
        plainSpans: spansWithChain(ctx, raw.text),
        ...(signal ? { signal } : {}),
      });
      const word = res.choices[0]?.text.trim().toLowerCase() ?? "";
      const vote = word.startsWith("yes") ? 1 : word.startsWith("no") ? 0 : null;
      return { kind: "vote", vote, usage: fromEngineUsage(res.usage) };
    }
    const res = await this.engine.nextTokenProbabilities(decisionPrompt, [spec.yes, spec.no], {
      plainSpans: spansWithChain(ctx, raw.text),
      ...(signal ? { signal } : {}),
    });
    const [yes, no] = res.candidates;
    const usage = fromEngineUsage(res.usage);
    if (!yes || !no)
      throw new EngineError(`the ${this.engine.provider} engine returned no probabilities for Yes/No`, {
        isRetryable: true,
        code: "malformed_response",
      });
    const lp = { yes: yes.logprob, no: no.logprob };
    if (lp.yes === null && lp.no === null)
      return { kind: "absent", logprobs: { yes: null, no: null }, usage };
    const score = decisionScore(
      { logprob: lp.yes ?? Number.NEGATIVE_INFINITY, tokens: yes.tokens },
      { logprob: lp.no ?? Number.NEGATIVE_INFINITY, tokens: no.tokens },
      this.settings.decisionMode,
      this.settings.decisionTemperature,
    );
    return { kind: "probabilities", logprobs: lp, score, usage };
  }
}

/**
 * Whether the chains so far settle the score (adaptive K): at least two valid chains, and either
 * they all fall on one side of 0.5, or the 90% interval of their mean (normal approximation)
 * excludes 0.5.
 *
 * @example scoreSettled([{ valid: true, score: 0.9 }, { valid: true, score: 0.8 }]) // true
 */
export function scoreSettled(chains: readonly Pick<ChainOutcome, "valid" | "score">[]): boolean {
  const scores = chains.filter((c) => c.valid && c.score !== null).map((c) => c.score!);
  if (scores.length < 2) return false;
  if (scores.every((x) => x >= 0.5) || scores.every((x) => x < 0.5)) return true;
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (scores.length - 1));
  return Math.abs(mean - 0.5) > (1.645 * sd) / Math.sqrt(scores.length);
}

/** How the decision of one chain came out. */
export type Decision =
  | {
      kind: "probabilities";
      logprobs: { yes: number | null; no: number | null };
      score: number;
      usage: TokenUsage;
    }
  | { kind: "absent"; logprobs: { yes: null; no: null }; usage: TokenUsage }
  | { kind: "vote"; vote: 0 | 1 | null; usage: TokenUsage }
  | { kind: "error"; message: string; usage: TokenUsage }
  | { kind: "skipped"; usage: TokenUsage };

/** Shorthand: verify one solution with a fresh ThinkPRM verifier. */
export function verify(input: SolutionInput, options: ThinkPrmVerifierOptions): Promise<Verification> {
  return new ThinkPrmVerifier(options).verify(input);
}

export { EARLY_EXIT_STOPS, type RawChain };
