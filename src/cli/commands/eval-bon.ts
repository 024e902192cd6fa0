/**
 * `thinkprm eval bon`: best-of-N curves over a candidate set, with the scores it carries or with a
 * verifier run now (ThinkPRM on any engine, through the run store: resumable, cached).
 */
import { existsSync } from "node:fs";
import type { Aggregation } from "../../core/decision-score.js";
import { type CandidateProblem, loadCandidateSet } from "../../datasets/bon-candidates.js";
import { InputError } from "../../datasets/jsonl.js";
import { CachedEngine } from "../../engines/cached.js";
import { candidateScore, evaluateBestOfN, formatCurve } from "../../eval/best-of-n-eval.js";
import { solutionSteps } from "../../search/beam-search.js";
import { defaultNs } from "../../search/best-of-n.js";
import { RunStore } from "../../store/run-store.js";
import { ThinkPrmVerifier } from "../../verifier/thinkprm-verifier.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { resolveEngine } from "../engine-spec.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";
import { Progress } from "../progress.js";

export interface EvalBonOptions {
  candidates: string;
  verifier: string;
  model: string;
  agg: Aggregation;
  n?: string;
  limit?: number;
  primary: "naive" | "weighted";
  layout: "numbered" | "plain";
  chatTemplate: string;
  maxTokens: number;
  threads?: number;
  store: string | false;
  quiet?: boolean;
  json?: boolean;
}

function parseNs(value: string | undefined, max: number): number[] {
  if (!value) return defaultNs(max);
  const ns = value.split(",").map((x) => Number(x.trim()));
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > max))
    throw new CliError(`--n must list integers from 1 to ${max} (the candidates per problem), e.g. 1,2,4`);
  return ns;
}

export async function runEvalBon(io: CliIo, opts: EvalBonOptions): Promise<void> {
  const path = resolvePath(io, opts.candidates);
  if (!existsSync(path)) throw new CliError(`candidates file not found: ${opts.candidates}`);
  let problems: CandidateProblem[];
  let format: string;
  try {
    const set = loadCandidateSet(path);
    problems = opts.limit ? set.problems.slice(0, opts.limit) : set.problems;
    format = set.format;
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  const N = Math.max(...problems.map((p) => p.candidates.length));
  const ns = parseNs(opts.n, N);
  const store = new RunStore(opts.store === false ? ":memory:" : resolvePath(io, opts.store));
  const config = {
    candidates: opts.candidates,
    format,
    problems: problems.length,
    verifier: opts.verifier,
    agg: opts.agg,
    ns,
    layout: opts.layout,
  };
  const { run, resumed } = store.startRun("eval-bon", config, { itemsTotal: problems.length });
  if (!opts.quiet)
    io.stderr.write(
      `${resumed ? "resuming" : "run"} ${run.id}: ${problems.length} problems × up to ${N} candidates (${format})\n`,
    );

  // scores: carried by the file, or from a verifier run now (one stored result per problem)
  const verifierScores = new Map<string, (number | null)[]>();
  if (opts.verifier !== "scores") {
    const inner = await resolveEngine(io, opts.verifier, {
      model: opts.model,
      ...(opts.threads ? { threads: opts.threads } : {}),
    });
    const engine = new CachedEngine(inner, store);
    const verifier = new ThinkPrmVerifier({
      engine,
      chatTemplate: resolveChatTemplate(io, opts.chatTemplate),
      layout: opts.layout,
      maxTokens: opts.maxTokens,
    });
    const progress = new Progress(io, "eval bon", problems.length, {
      quiet: opts.quiet ?? false,
      alreadyDone: store.doneKeys(run.id).size,
    });
    try {
      for (const [k, p] of problems.entries()) {
        let scores = store.storedResult(run.id, p.id) as (number | null)[] | undefined;
        if (!scores) {
          scores = [];
          let tokens = 0;
          let invalid = 0;
          for (const c of p.candidates) {
            const v = await verifier.verify({ problem: p.problem, steps: solutionSteps(c.text) });
            scores.push(v.score);
            tokens += v.usage.generatedTokens;
            invalid += v.invalidChains;
          }
          store.recordResult(run.id, p.id, k, scores, { generatedTokens: tokens, invalid });
          progress.tick({ tokens, invalid });
        }
        verifierScores.set(p.id, scores);
      }
    } finally {
      progress.stop();
      await engine.close();
    }
  }
  const scoreOf = (p: CandidateProblem, i: number) =>
    verifierScores.size > 0
      ? (verifierScores.get(p.id)![i] ?? null)
      : candidateScore(p.candidates[i]!.stepScores, opts.agg);
  const ev = evaluateBestOfN(problems, ns, scoreOf);
  const bestOfN = ev.curve.flatMap((p) =>
    (["naive", "weighted", "majority", "coverage"] as const).map((method) => ({
      n: p.n,
      method: method === "coverage" ? "pass@n" : method,
      accuracy: p[method],
    })),
  );
  const last = ev.curve.at(-1)!;
  store.finishRun(run.id, "done", {
    problems: problems.length,
    [`accuracy ${opts.primary}@${last.n}`]: last[opts.primary],
    [`pass@${last.n}`]: last.coverage,
    ...(ev.flags ? { "file flags agreeing with the grader": `${ev.flags.agree}/${ev.flags.total}` } : {}),
    bestOfN,
    curve: ev.curve,
  });
  store.close();
  if (opts.json) {
    writeJsonLine(io, { run: run.id, format, problems: problems.length, curve: ev.curve, flags: ev.flags });
    return;
  }
  io.stdout.write(`${formatCurve(ev.curve, opts.primary)}\n`);
  if (ev.flags) {
    io.stdout.write(
      `\nthe file's correctness flags agree with the grader on ${ev.flags.agree} of ${ev.flags.total} candidates\n`,
    );
    for (const e of ev.flags.examples) {
      io.stdout.write(
        `  problem ${e.problem}, candidate ${e.candidate}: file says ${e.flag ? "correct" : "wrong"}, grader says ${e.grader ? "correct" : "wrong"} · …${e.answer.replace(/\s+/g, " ").slice(-90)}\n`,
      );
    }
  }
}
