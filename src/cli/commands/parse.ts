import { parseVerificationChain } from "../../core/parse-chain.js";
import { type CliIo, CommandExit, readText, writeJsonLine } from "../io.js";

export interface ParseOptions {
  steps?: number;
  finishReason?: "stop" | "eos" | "length";
  requireDecision: boolean;
}

/** Prints `{ok, judgments, stepVerdicts, firstIncorrectStep, decision, warnings}` or `{ok: false, issues}`; exit 1 when invalid. */
export async function runParse(io: CliIo, file: string | undefined, opts: ParseOptions): Promise<void> {
  const chain = await readText(io, file, "chain", "a verification chain's text");
  const result = parseVerificationChain(chain, {
    requireDecision: opts.requireDecision,
    ...(opts.steps === undefined ? {} : { stepCount: opts.steps }),
    ...(opts.finishReason === undefined ? {} : { finishReason: opts.finishReason }),
  });
  if (result.ok) {
    writeJsonLine(io, { ok: true, ...result.value });
    return;
  }
  writeJsonLine(io, result);
  throw new CommandExit(1);
}
