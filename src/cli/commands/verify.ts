import { splitSteps } from "../../core/step-split.js";
import type { SolutionInput } from "../../core/types.js";
import { ThinkPrmVerifier } from "../../verifier/thinkprm-verifier.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { resolveEngine } from "../engine-spec.js";
import { formatVerification } from "../format.js";
import { CliError, type CliIo, CommandExit, readSolutionInputs, writeJsonLine } from "../io.js";

export interface VerifyCommandOptions {
  engine: string;
  model: string;
  modelType: "f32" | "f16" | "q8_0";
  input?: string;
  problem?: string;
  step?: string[];
  solution?: string;
  k: number;
  rounds: number;
  earlyExit?: boolean;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  layout: "numbered" | "plain";
  chatTemplate: string;
  decision: "paper" | "sglang";
  score: "probabilities" | "vote";
  stepMax: "numeric" | "lexicographic";
  threads?: number;
  contextSize?: number;
  json?: boolean;
}

async function* inputs(io: CliIo, opts: VerifyCommandOptions): AsyncGenerator<SolutionInput> {
  if (opts.problem !== undefined) {
    if (opts.input !== undefined) throw new CliError("give either --input or --problem, not both");
    if (opts.step && opts.solution !== undefined)
      throw new CliError("give the solution as --step … or as --solution, not both");
    const steps = opts.step ?? (opts.solution !== undefined ? splitSteps(opts.solution) : undefined);
    if (!steps)
      throw new CliError("--problem needs its solution: --step <text> (repeat) or --solution <text>");
    yield { problem: opts.problem, steps };
    return;
  }
  if (opts.step || opts.solution !== undefined) throw new CliError("--step/--solution need --problem");
  yield* readSolutionInputs(io, opts.input, "auto");
}

/** Verifies each solution; exit code 1 when any verification had no valid chain. */
export async function runVerify(io: CliIo, opts: VerifyCommandOptions): Promise<void> {
  const engine = await resolveEngine(io, opts.engine, {
    model: opts.model,
    modelType: opts.modelType,
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    ...(opts.contextSize === undefined ? {} : { contextSize: opts.contextSize }),
  });
  let verifier: ThinkPrmVerifier;
  try {
    verifier = new ThinkPrmVerifier({
      engine,
      chatTemplate: resolveChatTemplate(io, opts.chatTemplate),
      k: opts.k,
      rounds: opts.rounds,
      earlyExit: opts.earlyExit ?? false,
      maxTokens: opts.maxTokens,
      layout: opts.layout,
      decisionMode: opts.decision,
      scoreWith: opts.score,
      stepMax: opts.stepMax,
      ...(opts.temperature === undefined ? {} : { temperature: opts.temperature }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  let count = 0;
  let unscored = 0;
  let invalidChains = 0;
  try {
    for await (const input of inputs(io, opts)) {
      count++;
      const v = await verifier.verify(input);
      if (v.score === null) unscored++;
      invalidChains += v.invalidChains;
      if (opts.json) writeJsonLine(io, { ...v, id: input.id ?? null });
      else
        io.stdout.write(
          formatVerification(input, v, `[${count}]${input.id === undefined ? "" : ` ${input.id}`}`),
        );
    }
  } finally {
    await engine.close?.();
  }
  if (!opts.json) {
    io.stdout.write(
      `${count} verified, ${count - unscored} scored, ${unscored} unscored, ${invalidChains} invalid chains\n`,
    );
  }
  if (count === 0) throw new CliError("no solutions to verify: the input was empty");
  if (unscored > 0) throw new CommandExit(1);
}
