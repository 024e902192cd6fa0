/**
 * Step-isolated verification (`--mode per-step`): every prefix of the solution — steps 1…i — is
 * verified by chains of its own, all prefixes at once (engines that cache prompt prefixes share
 * the problem and the leading steps). Prefix i's decision says whether steps 1…i are all correct,
 * which is exactly what ThinkPRM is trained to judge ("if the solution is incomplete, only verify
 * the provided steps"), so the first prefix judged wrong is the first error — without one chain's
 * verdict on step 7 leaning on what it wrote about steps 1–6 (the step-label interference the
 * paper leaves open). It costs about n/2 times the tokens of one whole-solution chain.
 */
import { addUsage, emptyUsage, type SolutionInput, type StepVerdict } from "../core/types.js";
import type { ThinkPrmVerifier } from "./thinkprm-verifier.js";
import type { Verification, VerificationEvent, Verifier } from "./types.js";

export class PerStepVerifier implements Verifier {
  readonly name = "thinkprm:per-step";

  /**
   * @param width prefixes verified at once: the engine's declared concurrency, so a long solution
   *   queues its prefixes instead of opening hundreds of requests (or chains) together
   */
  constructor(
    private readonly inner: ThinkPrmVerifier,
    private readonly width = 8,
  ) {}

  async verify(
    input: SolutionInput,
    signal?: AbortSignal,
    onEvent?: (event: VerificationEvent) => void,
  ): Promise<Verification> {
    const steps = input.steps.length === 0 ? [""] : input.steps;
    const prefixes = steps.map((_, i) => ({ problem: input.problem, steps: steps.slice(0, i + 1) }));
    const results: Verification[] = new Array(prefixes.length);
    let next = 0;
    const worker = async () => {
      while (next < prefixes.length) {
        const i = next++;
        const v = await this.inner.verify(prefixes[i]!, signal);
        if (v.score !== null)
          onEvent?.({ type: "step", chain: i, step: i, verdict: v.score >= 0.5 ? "correct" : "incorrect" });
        results[i] = v;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.width, prefixes.length)) }, worker));
    const firstIncorrectStep = results.findIndex((v) => v.score !== null && v.score < 0.5);
    const stepVerdicts: StepVerdict[] = results.map((v, i) =>
      firstIncorrectStep >= 0 && i > firstIncorrectStep
        ? "unverified"
        : i === firstIncorrectStep
          ? "incorrect"
          : v.score === null
            ? "unverified"
            : "correct",
    );
    // every prefix's chains, numbered in order (chain k of prefix i keeps its text and verdicts)
    let index = 0;
    const chains = results.flatMap((v) => v.chains.map((c) => ({ ...c, index: index++ })));
    const whole = results.at(-1)!;
    const verification: Verification = {
      stepCount: steps.length,
      prompt: whole.prompt,
      mode: "per-step",
      score: whole.score,
      decision: whole.decision,
      stepVerdicts,
      firstIncorrectStep,
      stepScores: results.map((v) => v.score),
      chains,
      validChains: results.reduce((n, v) => n + v.validChains, 0),
      invalidChains: results.reduce((n, v) => n + v.invalidChains, 0),
      usage: results.reduce((u, v) => addUsage(u, v.usage), emptyUsage()),
    };
    if (input.id !== undefined) verification.id = input.id;
    onEvent?.({ type: "done", verification });
    return verification;
  }
}
