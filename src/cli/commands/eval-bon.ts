/**
 * `thinkprm eval bon`: best-of-N curves over a candidate set, with the scores it carries or with a
 * verifier run now (ThinkPRM on any engine, through the run store: resumable, cached).
 */
import { existsSync } from "node:fs";
import type { Aggregation } from "../../core/decision-score.js";
import { type CandidateProblem, loadCandidateSet } from "../../datasets/bon-candidates.js";
import { InputError } from "../../datasets/jsonl.js";
import { type AnsweredProblem, loadProblems } from "../../datasets/problems.js";
import { CachedEngine } from "../../engines/cached.js";
import { candidateScore, evaluateBestOfN, formatCurve } from "../../eval/best-of-n-eval.js";
import { calibrationReport, kendall, meanPerProblem, spearman } from "../../eval/calibration.js";
import { type CodeStepMode, MC_VERIFIER_INSTRUCTION, type TaskItem } from "../../eval/tasks.js";
import { generatorPrompt } from "../../search/beam-search.js";
import { defaultNs } from "../../search/best-of-n.js";
import { RunStore } from "../../store/run-store.js";
import { ThinkPrmVerifier } from "../../verifier/thinkprm-verifier.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { resolveEngine } from "../engine-spec.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";
import { Progress } from "../progress.js";
import {
  gradeCodeCandidates,
  gradingFor,
  loadOodItems,
  meanPassAt1,
  stepsFor,
  systemPromptFor,
  type TaskName,
} from "./eval-ood.js";

export interface EvalBonOptions {
  candidates?: string;
  dataset?: string;
  dataDir: string;
  generate?: boolean;
  generator?: string;
  generatorModel?: string;
  generatorTemplate: string;
  samples: number;
  temperature: number;
  genMaxTokens: number;
  seed: number;
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
  task?: TaskName;
  domain?: string;
  codeSteps?: CodeStepMode;
  testCpu?: number;
  verifierInstruction?: "trained" | "multiple-choice";
}

function parseNs(value: string | undefined, max: number): number[] {
  if (!value) return defaultNs(max);
  const ns = value.split(",").map((x) => Number(x.trim()));
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > max))
    throw new CliError(`--n must list integers from 1 to ${max} (the candidates per problem), e.g. 1,2,4`);
  return ns;
}

function loadCandidates(
  io: CliIo,
  file: string,
  limit: number | undefined,
): { problems: CandidateProblem[]; format: string } {
  const path = resolvePath(io, file);
  if (!existsSync(path)) throw new CliError(`candidates file not found: ${file}`);
  try {
    const set = loadCandidateSet(path);
    return { problems: limit ? set.problems.slice(0, limit) : set.problems, format: set.format };
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
}

/** Samples candidates for a dataset's problems with a generator engine; stored per problem, so resumable. */
async function generateCandidates(
  io: CliIo,
  opts: EvalBonOptions,
  store: RunStore,
  runId: string,
  items: Map<string, TaskItem>,
): Promise<CandidateProblem[]> {
  const task = opts.task ?? "math";
  if (!opts.dataset && task === "math")
    throw new CliError("--generate needs --dataset math500|aime24|<file.jsonl>");
  if (!opts.generator)
    throw new CliError("--generate needs --generator <engine> (llama-cpp, scripted:<file>)");
  // every task as {id, prompt the generator gets, problem the verifier reads, gold}
  let problems: { id: string; prompt: string; problem: string; answer: string }[];
  if (task === "math") {
    let math: AnsweredProblem[];
    try {
      math = loadProblems(opts.dataset!, resolvePath(io, opts.dataDir));
    } catch (error) {
      if (error instanceof InputError) throw new CliError(error.message);
      throw error;
    }
    problems = math.map((p) => ({ id: p.id, prompt: p.problem, problem: p.problem, answer: p.answer }));
  } else {
    const loaded = loadOodItems(io, task, opts.dataset, {
      domain: opts.domain ?? "Physics",
      seed: opts.seed,
    });
    for (const item of loaded) items.set(item.id, item);
    problems = loaded.map((i) => ({
      id: i.id,
      prompt: i.prompt,
      problem: i.verifierProblem,
      answer: i.gold,
    }));
  }
  if (opts.limit) problems = problems.slice(0, opts.limit);
  const engine = new CachedEngine(
    await resolveEngine(io, opts.generator, { model: opts.generatorModel ?? opts.model }),
    store,
  );
  const generator = {
    engine,
    chatTemplate: resolveChatTemplate(io, opts.generatorTemplate),
    temperature: opts.temperature,
    maxTokens: opts.genMaxTokens,
    seed: opts.seed,
    ...(task === "math" ? {} : { systemPrompt: systemPromptFor(task) }),
  };
  const progress = new Progress(io, "generate", problems.length, { quiet: opts.quiet ?? false });
  const out: CandidateProblem[] = [];
  try {
    for (const [k, p] of problems.entries()) {
      const key = `candidates:${p.id}`;
      let texts = store.storedResult(runId, key) as string[] | undefined;
      if (!texts) {
        const res = await engine.complete({
          prompt: generatorPrompt(generator, p.prompt, ""),
          n: opts.samples,
          maxTokens: opts.genMaxTokens,
          temperature: opts.temperature,
          seed: opts.seed + k,
        });
        texts = res.choices.map((c) => c.text);
        store.recordResult(runId, key, -1 - k, texts, { generatedTokens: res.usage.generatedTokens });
        progress.tick({ tokens: res.usage.generatedTokens });
      }
      out.push({
        id: p.id,
        problem: p.problem,
        gold: p.answer,
        candidates: texts.map((text) => ({ text, stepScores: [] })),
      });
    }
  } finally {
    progress.stop();
    await engine.close();
  }
  return out;
}

export async function runEvalBon(io: CliIo, opts: EvalBonOptions): Promise<void> {
  if (!opts.generate && !opts.candidates)
    throw new CliError("give --candidates <file>, or --generate with --dataset and --generator");
  if (opts.generate && opts.verifier === "scores")
    throw new CliError("generated candidates carry no scores: pass --verifier <engine>");
  const task = opts.task ?? "math";
  if (task !== "math" && !opts.generate)
    throw new CliError(
      `--task ${task} samples its candidates: pass --generate with --dataset and --generator`,
    );
  const fromFile = opts.candidates ? loadCandidates(io, opts.candidates, opts.limit) : null;
  const store = new RunStore(opts.store === false ? ":memory:" : resolvePath(io, opts.store));
  const source = fromFile
    ? { candidates: opts.candidates, format: fromFile.format, problems: fromFile.problems.length }
    : {
        dataset: opts.dataset,
        generator: opts.generator,
        samples: opts.samples,
        temperature: opts.temperature,
        maxTokens: opts.genMaxTokens,
        seed: opts.seed,
        limit: opts.limit,
        ...(task === "math"
          ? {}
          : { task, domain: opts.domain, codeSteps: opts.codeSteps, instruction: opts.verifierInstruction }),
      };
  const config = { ...source, verifier: opts.verifier, agg: opts.agg, n: opts.n, layout: opts.layout };
  const { run, resumed } = store.startRun("eval-bon", config);
  const items = new Map<string, TaskItem>();
  const problems = fromFile ? fromFile.problems : await generateCandidates(io, opts, store, run.id, items);
  const steps = stepsFor(task, opts.codeSteps ?? "reasoning");
  const format = fromFile ? fromFile.format : "generated";
  const N = Math.max(...problems.map((p) => p.candidates.length));
  const ns = parseNs(opts.n, N);
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
      ...(opts.verifierInstruction === "multiple-choice" ? { instruction: MC_VERIFIER_INSTRUCTION } : {}),
    });
    const progress = new Progress(io, "eval bon", problems.length, {
      quiet: opts.quiet ?? false,
      alreadyDone: store.doneKeys(run.id).size,
    });
    try {
      for (const [k, p] of problems.entries()) {
        let scores = store.storedResult(run.id, `scores:${p.id}`) as (number | null)[] | undefined;
        if (!scores) {
          scores = [];
          let tokens = 0;
          let invalid = 0;
          for (const c of p.candidates) {
            const v = await verifier.verify({ problem: p.problem, steps: steps(c.text) });
            scores.push(v.score);
            tokens += v.usage.generatedTokens;
            invalid += v.invalidChains;
          }
          store.recordResult(run.id, `scores:${p.id}`, k, scores, { generatedTokens: tokens, invalid });
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
  const codeGrades =
    task === "code"
      ? await gradeCodeCandidates(io, problems, items, store, run.id, opts.quiet ?? false, opts.testCpu ?? 6)
      : null;
  const ev = evaluateBestOfN(problems, ns, scoreOf, gradingFor(task, codeGrades));
  const passAt1 = meanPassAt1(ev.selections.map((s) => s.correct));
  const bestOfN = ev.curve.flatMap((p) =>
    (["naive", "weighted", "majority", "coverage"] as const).map((method) => ({
      n: p.n,
      method: method === "coverage" ? "pass@n" : method,
      accuracy: p[method],
    })),
  );
  const last = ev.curve.at(-1)!;
  // how the scores rank candidates within each problem, and how well calibrated they are
  const groups = problems
    .map((p, k) => ({
      scores: p.candidates.map((_, i) => scoreOf(p, i) ?? Number.NaN),
      correct: ev.selections[k]!.correct,
    }))
    .map((g) => ({
      scores: g.scores.filter((s) => !Number.isNaN(s)),
      correct: g.correct.filter((_, i) => !Number.isNaN(g.scores[i]!)),
    }));
  const spearmanMean = meanPerProblem(groups, spearman);
  const kendallMean = meanPerProblem(groups, kendall);
  const flat = groups
    .flatMap((g) => g.scores.map((s, i) => ({ s, c: g.correct[i]! })))
    .filter((x) => x.s >= 0 && x.s <= 1);
  const cal =
    flat.length > 0
      ? calibrationReport(
          flat.map((x) => x.s),
          flat.map((x) => x.c),
        )
      : null;
  store.finishRun(run.id, "done", {
    ...(task === "math" ? {} : { task }),
    problems: problems.length,
    "pass@1 (mean over samples)": passAt1,
    [`accuracy ${opts.primary}@${last.n}`]: last[opts.primary],
    [`pass@${last.n}`]: last.coverage,
    ...(ev.flags ? { "file flags agreeing with the grader": `${ev.flags.agree}/${ev.flags.total}` } : {}),
    ...(spearmanMean === null ? {} : { "per-problem Spearman (score, correct)": spearmanMean }),
    ...(kendallMean === null ? {} : { "per-problem Kendall (score, correct)": kendallMean }),
    ...(cal
      ? {
          "score ECE": cal.ece,
          "score Brier": cal.brier,
          ...(cal.auroc === null ? {} : { "score AUROC": cal.auroc }),
        }
      : {}),
    bestOfN,
    curve: ev.curve,
  });
  store.close();
  if (opts.json) {
    writeJsonLine(io, {
      run: run.id,
      format,
      problems: problems.length,
      task,
      passAt1,
      curve: ev.curve,
      flags: ev.flags,
      spearman: spearmanMean,
      kendall: kendallMean,
      calibration: cal,
    });
    return;
  }
  io.stdout.write(`${formatCurve(ev.curve, opts.primary)}\n`);
  io.stdout.write(`pass@1 (mean over all ${N} samples): ${(100 * passAt1).toFixed(1)}%\n`);
  if (spearmanMean !== null || cal) {
    io.stdout.write(
      `\nper-problem rank correlation of scores with correctness: Spearman ${spearmanMean?.toFixed(3) ?? "n/a"}, Kendall ${kendallMean?.toFixed(3) ?? "n/a"}`,
    );
    io.stdout.write(
      cal
        ? ` · scores as probabilities: ECE ${cal.ece.toFixed(4)}, Brier ${cal.brier.toFixed(4)}, AUROC ${cal.auroc?.toFixed(4) ?? "n/a"}\n`
        : "\n",
    );
  }
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
