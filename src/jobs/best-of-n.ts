/**
 * The best-of-N evaluation job (`eval bon`): per problem, candidates (from a file, or sampled now
 * by best-of-N search with a generator), their scores (carried by the file, or from a verifier
 * now), and — for code — their grades from running the tests; all through the run loop, so a
 * resume repeats nothing. Then the curve: naive / weighted / majority accuracy and pass@n at every
 * n, pass@1, rank correlation and calibration of the scores.
 */
import type { Aggregation } from "../core/decision-score.js";
import type { CandidateProblem } from "../datasets/bon-candidates.js";
import type { EngineSpecInput } from "../engines/spec.js";
import type { Engine } from "../engines/types.js";
import { type BestOfNEvaluation, candidateScore, evaluateBestOfN } from "../eval/best-of-n-eval.js";
import {
  BON_TASK_RECORDS,
  type BonTaskName,
  type StoredGrades,
  type TaskOptions,
  type TaskProblem,
} from "../eval/bon-tasks.js";
import { calibrationReport, kendall, meanPerProblem, spearman } from "../eval/calibration.js";
import { bestOfNSearch } from "../search/beam-search.js";
import { defaultNs } from "../search/best-of-n.js";
import { verifierScorer } from "../search/scorers.js";
import { type ItemFailure, runLoop, runStatusAfter } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import type { VerifierSettingsInput } from "../verifier/settings.js";
import type { Verifier } from "../verifier/types.js";
import { type GeneratorChoice, openGenerator } from "./search.js";
import {
  itemWindow,
  type JobEnvironment,
  type JobStart,
  type LoopChoice,
  openEngine,
  openStore,
  planVerifier,
  type StoreChoice,
  type VerifierPlan,
  verifierForRun,
} from "./setup.js";

export type BonSource =
  | { kind: "file"; problems: CandidateProblem[]; format: string; identity: Record<string, unknown> }
  | {
      kind: "generate";
      problems: TaskProblem[];
      generator: Omit<GeneratorChoice, "systemPrompt">;
      samples: number;
      identity: Record<string, unknown>;
    };

export interface BonJobOptions extends StoreChoice, LoopChoice {
  task: BonTaskName;
  taskOptions: TaskOptions;
  source: BonSource;
  /** Score every candidate with this verifier now; absent: the scores the file carries. */
  verifier?: {
    engine: EngineSpecInput;
    settings: VerifierSettingsInput;
    instruction: "trained" | "multiple-choice";
  };
  agg: Aggregation;
  /** n values (default powers of two up to N). */
  ns?: number[];
}

/** What one problem's item stores. */
export interface BonItemResult {
  /** Generated candidates (a file's stay in the file). */
  texts?: string[];
  scores: (number | null)[];
  grades?: StoredGrades;
  generatedTokens: number;
  verifierTokens: number;
}

export interface BonResult {
  run: RunRecord;
  problems: CandidateProblem[];
  evaluation: BestOfNEvaluation;
  ns: number[];
  passAt1: number;
  spearman: number | null;
  kendall: number | null;
  calibration: ReturnType<typeof calibrationReport> | null;
  failures: ItemFailure[];
  elapsedMs: number;
  /** Candidates of the curve and how many of them have no score (an invalid chain, or none in the file). */
  candidates: number;
  unscored: number;
}

/** pass@1 over every sample: the mean, over problems, of the share of correct candidates. */
export function meanPassAt1(correct: readonly (readonly boolean[])[]): number {
  const shares = correct.filter((c) => c.length > 0).map((c) => c.filter(Boolean).length / c.length);
  return shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 0;
}

export async function bonJob(
  options: BonJobOptions,
  env: JobEnvironment = {},
  callbacks: {
    onStart?: (info: JobStart) => void;
    onProgress?: (event: { tokens: number; failed: boolean }) => void;
    onFailure?: (id: string, failure: ItemFailure) => void;
  } = {},
): Promise<BonResult> {
  const task = BON_TASK_RECORDS[options.task];
  const why = task.unavailable();
  if (why) throw new Error(why);
  const store = openStore(options, env.cwd);
  const cache = options.cache !== false;
  const opened: Engine[] = [];
  try {
    const source = options.source;
    const generator =
      source.kind === "generate"
        ? await openGenerator({ ...source.generator, systemPrompt: task.systemPrompt }, env, store, cache)
        : undefined;
    if (generator) opened.push(generator.engine);
    let verifierEngine: Engine | undefined;
    let plan: VerifierPlan | undefined;
    if (options.verifier) {
      verifierEngine = await openEngine(options.verifier.engine, env, store, cache);
      opened.push(verifierEngine);
      const instruction = task.verifierInstruction(options.verifier.instruction);
      plan = planVerifier(
        verifierEngine,
        { ...(instruction ? { instruction } : {}), ...options.verifier.settings },
        env.cwd,
      );
    }
    const stepsOf = (text: string) => task.steps(text, options.taskOptions);
    const ids = source.kind === "file" ? source.problems.map((p) => p.id) : source.problems.map((p) => p.id);
    const items = ids.map((id, index) => ({ key: id, index, value: index }));
    let verifier: Verifier | undefined;
    const outcome = await runLoop<number, BonItemResult>({
      store,
      command: "eval-bon",
      config: {
        task: options.task,
        taskOptions: options.task === "math" ? undefined : options.taskOptions,
        source: source.identity,
        verifier: plan ? plan.identity : "carried scores",
        agg: options.agg,
      },
      items,
      concurrency: options.concurrency ?? itemWindow(verifierEngine ?? generator?.engine, 4),
      ...(options.itemTimeoutMs === undefined ? {} : { itemTimeoutMs: options.itemTimeoutMs }),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.forceResume ? { forceResume: true } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
      onStart: (run, resumed, alreadyDone) => {
        if (plan && verifierEngine) verifier = verifierForRun(plan, verifierEngine, run, store).verifier;
        callbacks.onStart?.({ run, resumed, alreadyDone, total: items.length, storePath: store.path });
      },
      work: async ({ value: k }, signal) => {
        let result: BonItemResult;
        let texts: string[];
        if (source.kind === "generate") {
          const p = source.problems[k]!;
          const r = await bestOfNSearch(
            { id: p.id, problem: p.problem, prompt: p.prompt },
            { generator: generator!.settings, scorer: verifierScorer(verifier!), stepsOf, signal },
            { n: source.samples },
          );
          texts = r.completions.map((c) => c.text);
          result = {
            texts,
            scores: r.completions.map((c) => c.score),
            generatedTokens: r.generatedTokens,
            verifierTokens: r.verifierTokens,
          };
        } else {
          const p = source.problems[k]!;
          texts = p.candidates.map((c) => c.text);
          if (verifier) {
            const scorer = verifierScorer(verifier);
            const scored = await Promise.all(texts.map((t) => scorer.score(p.problem, stepsOf(t), signal)));
            result = {
              scores: scored.map((s) => s.score),
              generatedTokens: 0,
              verifierTokens: scored.reduce((a, s) => a + s.tokens, 0),
            };
          } else {
            result = {
              scores: p.candidates.map((c) => candidateScore(c.stepScores, options.agg)),
              generatedTokens: 0,
              verifierTokens: 0,
            };
          }
        }
        if (task.gradeCandidates) {
          const problem = source.kind === "generate" ? source.problems[k]! : undefined;
          if (problem) result.grades = await task.gradeCandidates(problem, texts, options.taskOptions);
        }
        return result;
      },
      usage: (r) => ({ generatedTokens: r.generatedTokens + r.verifierTokens }),
      onProgress: ({ result, failure }) =>
        callbacks.onProgress?.({
          tokens: result ? result.generatedTokens + result.verifierTokens : 0,
          failed: !!failure,
        }),
      onFailure: ({ key }, failure) => callbacks.onFailure?.(key, failure),
    });
    // every problem with a result, as a candidate set with its scores and grades
    const problems: CandidateProblem[] = [];
    const scores = new Map<string, (number | null)[]>();
    const grades = new Map<string, StoredGrades | undefined>();
    for (const [k, id] of ids.entries()) {
      const r = outcome.results.get(k);
      if (!r) continue;
      const base =
        source.kind === "file"
          ? source.problems[k]!
          : {
              id,
              problem: source.problems[k]!.problem,
              gold: source.problems[k]!.gold,
              candidates: (r.texts ?? []).map((text) => ({ text, stepScores: [] })),
            };
      problems.push(base);
      scores.set(id, r.scores);
      grades.set(id, r.grades);
    }
    const N = Math.max(1, ...problems.map((p) => p.candidates.length));
    const ns = options.ns ?? defaultNs(N);
    const evaluation = evaluateBestOfN(
      problems,
      ns,
      (p, i) => scores.get(p.id)?.[i] ?? null,
      (p) => task.grading(p, grades.get(p.id)),
    );
    const passAt1 = meanPassAt1(evaluation.selections.map((s) => s.correct));
    // how the scores rank candidates within each problem, and how well calibrated they are
    const groups = problems.map((p, k) => {
      const s = p.candidates.map((_, i) => scores.get(p.id)?.[i] ?? Number.NaN);
      const c = evaluation.selections[k]!.correct;
      return { scores: s.filter((x) => !Number.isNaN(x)), correct: c.filter((_, i) => !Number.isNaN(s[i]!)) };
    });
    const flat = groups
      .flatMap((g) => g.scores.map((s, i) => ({ s, c: g.correct[i]! })))
      .filter((x) => x.s >= 0 && x.s <= 1);
    const calibration =
      flat.length > 0
        ? calibrationReport(
            flat.map((x) => x.s),
            flat.map((x) => x.c),
          )
        : null;
    const result: BonResult = {
      run: outcome.run,
      problems,
      evaluation,
      ns,
      passAt1,
      spearman: meanPerProblem(groups, spearman),
      kendall: meanPerProblem(groups, kendall),
      calibration,
      failures: outcome.failures,
      elapsedMs: outcome.elapsedMs,
      candidates: problems.reduce((n, p) => n + p.candidates.length, 0),
      unscored: problems.reduce(
        (n, p) => n + p.candidates.filter((_, i) => (scores.get(p.id)?.[i] ?? null) === null).length,
        0,
      ),
    };
    store.finishRun(outcome.run.id, runStatusAfter(outcome), bonMetrics(result, options.task));
    return { ...result, run: store.getRun(outcome.run.id)! };
  } finally {
    for (const e of opened) await e.close?.();
    store.close();
  }
}

/** The run's stored metrics (what `runs show` and the report read). */
function bonMetrics(r: BonResult, task: BonTaskName): Record<string, unknown> {
  const last = r.evaluation.curve.at(-1);
  const cal = r.calibration;
  return {
    ...(task === "math" ? {} : { task }),
    problems: r.problems.length,
    failed: r.failures.length,
    "unscored candidates": r.unscored,
    wallMs: r.elapsedMs,
    "pass@1 (mean over samples)": r.passAt1,
    ...(last
      ? {
          [`accuracy weighted@${last.n}`]: last.weighted,
          [`accuracy naive@${last.n}`]: last.naive,
          [`pass@${last.n}`]: last.coverage,
        }
      : {}),
    ...(r.evaluation.flags
      ? { "file flags agreeing with the grader": `${r.evaluation.flags.agree}/${r.evaluation.flags.total}` }
      : {}),
    ...(r.spearman === null ? {} : { "per-problem Spearman (score, correct)": r.spearman }),
    ...(r.kendall === null ? {} : { "per-problem Kendall (score, correct)": r.kendall }),
    ...(cal
      ? {
          "score ECE": cal.ece,
          "score Brier": cal.brier,
          ...(cal.auroc === null ? {} : { "score AUROC": cal.auroc }),
        }
      : {}),
    bestOfN: r.evaluation.curve.flatMap((p) =>
      (["naive", "weighted", "majority", "coverage"] as const).map((method) => ({
        n: p.n,
        method: method === "coverage" ? "pass@n" : method,
        accuracy: p[method],
      })),
    ),
    curve: r.evaluation.curve,
  };
}
