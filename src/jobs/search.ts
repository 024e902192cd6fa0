/**
 * The search job: for each problem, verifier-guided search — best-of-N generation, beam search or
 * DVTS (thinkprm-spec.md §6.3) — with a generator engine and a verifier, through the run loop
 * (problems in flight, each result stored, resumable), graded against the reference answer when
 * there is one.
 */
import { resolveChatTemplate } from "../engines/chat-template-source.js";
import type { EngineSpecInput } from "../engines/spec.js";
import type { Engine } from "../engines/types.js";
import { isEquivalent } from "../grading/equivalence.js";
import { BEAM_SEARCH_DEFAULTS, beamSearch, bestOfNSearch, dvts } from "../search/beam-search.js";
import { verifierScorer } from "../search/scorers.js";
import type { GeneratorSettings, SearchResult } from "../search/types.js";
import { type ItemFailure, runLoop, runStatusAfter } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import type { VerifierSettingsInput } from "../verifier/settings.js";
import type { Verifier } from "../verifier/types.js";
import {
  itemWindow,
  type JobEnvironment,
  type JobStart,
  type LoopChoice,
  openEngine,
  openStore,
  planVerifier,
  type StoreChoice,
  verifierForRun,
} from "./setup.js";

export const SEARCH_METHODS = ["bon", "beam", "dvts"] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

export interface GeneratorChoice {
  engine: EngineSpecInput;
  /** The generator's chat template (`auto`: the model's own, else r1-distill-qwen; a name; a path; none). */
  chatTemplate: string;
  systemPrompt?: string;
  temperature: number;
  maxTokens: number;
  seed: number;
}

/** The generator's engine and settings (its template resolved against its model). */
export async function openGenerator(
  choice: GeneratorChoice,
  env: JobEnvironment,
  store: ReturnType<typeof openStore>,
  cache: boolean,
): Promise<{ engine: Engine; settings: GeneratorSettings; identity: Record<string, unknown> }> {
  const engine = await openEngine(choice.engine, env, store, cache);
  const template = resolveChatTemplate(choice.chatTemplate, { ...(env.cwd ? { cwd: env.cwd } : {}), engine });
  return {
    engine,
    settings: {
      engine,
      chatTemplate: template.template,
      temperature: choice.temperature,
      maxTokens: choice.maxTokens,
      seed: choice.seed,
      ...(choice.systemPrompt ? { systemPrompt: choice.systemPrompt } : {}),
    },
    identity: {
      engine: engine.identity ?? `${engine.provider}:${engine.modelId}`,
      chatTemplate: template.source,
      systemPrompt: choice.systemPrompt ?? null,
      temperature: choice.temperature,
      maxTokens: choice.maxTokens,
      seed: choice.seed,
    },
  };
}

export interface SearchJobProblem {
  id: string;
  problem: string;
  /** The generator's message, when it differs from the problem. */
  prompt?: string;
  /** The reference answer, when known (the result is then graded). */
  answer?: string;
}

export interface SearchJobOptions extends StoreChoice, LoopChoice {
  method: SearchMethod;
  /** N (samples or beams), M (candidates per beam), depth (iterations). */
  n: number;
  beamWidth: number;
  depth: number;
  generator: GeneratorChoice;
  engine: EngineSpecInput;
  settings: VerifierSettingsInput;
  problems: SearchJobProblem[];
  /** What the problems are (file, content hash): part of the run's identity. */
  data: Record<string, unknown>;
  stepsOf?: (text: string) => string[];
}

export type StoredSearch = SearchResult & { answer?: string; correct?: boolean };

export interface SearchSummary {
  run: RunRecord;
  problems: number;
  /** Share of graded problems whose chosen completion is correct. */
  accuracy: number | null;
  graded: number;
  failed: number;
  generatedTokens: number;
  verifierTokens: number;
  elapsedMs: number;
}

export async function searchJob(
  options: SearchJobOptions,
  env: JobEnvironment = {},
  callbacks: {
    onStart?: (info: JobStart) => void;
    onResult?: (problem: SearchJobProblem, result: StoredSearch, stored: boolean) => void;
    onFailure?: (problem: SearchJobProblem, failure: ItemFailure) => void;
    onProgress?: (event: { tokens: number; failed: boolean }) => void;
  } = {},
): Promise<SearchSummary> {
  const store = openStore(options, env.cwd);
  const cache = options.cache !== false;
  const opened: Engine[] = [];
  try {
    const generator = await openGenerator(options.generator, env, store, cache);
    opened.push(generator.engine);
    const engine = await openEngine(options.engine, env, store, cache);
    opened.push(engine);
    // a prefix is judged step by step: the verifier sees numbered steps and stops at Step {max+1}:
    const plan = planVerifier(engine, { layout: "numbered", ...options.settings }, env.cwd);
    const config = {
      method: options.method,
      n: options.n,
      beamWidth: options.beamWidth,
      depth: options.depth,
      generator: generator.identity,
      verifier: plan.identity,
      data: options.data,
    };
    let verifier: Verifier | undefined;
    const algorithmConfig = {
      ...BEAM_SEARCH_DEFAULTS,
      n: options.n,
      beamWidth: options.beamWidth,
      iterations: options.depth,
    };
    let correct = 0;
    let graded = 0;
    let generatedTokens = 0;
    let verifierTokens = 0;
    const items = options.problems.map((p, index) => ({ key: p.id, index, value: p }));
    const outcome = await runLoop<SearchJobProblem, StoredSearch>({
      store,
      command: "search",
      config,
      items,
      concurrency: options.concurrency ?? itemWindow(engine),
      ...(options.itemTimeoutMs === undefined ? {} : { itemTimeoutMs: options.itemTimeoutMs }),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.forceResume ? { forceResume: true } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
      onStart: (run, resumed, alreadyDone) => {
        verifier = verifierForRun(plan, engine, run, store).verifier;
        callbacks.onStart?.({ run, resumed, alreadyDone, total: items.length, storePath: store.path });
      },
      work: async ({ value: p }, signal) => {
        const ctx = {
          generator: generator.settings,
          scorer: verifierScorer(verifier!),
          signal,
          ...(options.stepsOf ? { stepsOf: options.stepsOf } : {}),
        };
        const problem = { id: p.id, problem: p.problem, ...(p.prompt ? { prompt: p.prompt } : {}) };
        const result =
          options.method === "bon"
            ? await bestOfNSearch(problem, ctx, { n: options.n })
            : await (options.method === "beam" ? beamSearch : dvts)(problem, ctx, algorithmConfig);
        if (p.answer === undefined) return result;
        const chosen = result.pred < 0 ? undefined : result.completions[result.pred];
        return {
          ...result,
          answer: p.answer,
          correct: chosen !== undefined && isEquivalent(p.answer, chosen.text),
        };
      },
      usage: (r) => ({ generatedTokens: r.generatedTokens + r.verifierTokens }),
      onProgress: ({ result, failure }) =>
        callbacks.onProgress?.({
          tokens: result ? result.generatedTokens + result.verifierTokens : 0,
          failed: !!failure,
        }),
      onResult: ({ value }, r, stored) => {
        if (r.correct !== undefined) {
          graded++;
          if (r.correct) correct++;
        }
        generatedTokens += r.generatedTokens;
        verifierTokens += r.verifierTokens;
        callbacks.onResult?.(value, r, stored);
      },
      onFailure: ({ value }, failure) => callbacks.onFailure?.(value, failure),
    });
    const summary = {
      problems: outcome.results.size,
      accuracy: graded > 0 ? correct / graded : null,
      graded,
      failed: outcome.failures.length,
      generatedTokens,
      verifierTokens,
      elapsedMs: outcome.elapsedMs,
    };
    store.finishRun(outcome.run.id, runStatusAfter(outcome), summary);
    return { run: store.getRun(outcome.run.id)!, ...summary };
  } finally {
    for (const e of opened) await e.close?.();
    store.close();
  }
}
