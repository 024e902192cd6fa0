/**
 * Verifier-guided search (thinkprm-spec.md §6.3), following search-and-learn's `beam_search.py`:
 * N beams, M candidates per beam, steps end at a blank line, up to 20 iterations; each iteration
 * replicates the active beams cyclically to N, samples one step for each, scores every partial
 * solution with the verifier, moves finished beams aside (keeping their last score), drops
 * duplicate texts, and keeps the top N / M (all of them when N < M). The last iteration generates
 * to the end. DVTS runs N / M independent searches of width M and pools their completions.
 */
import { splitByStepHeaders } from "../core/step-split.js";
import { renderChat } from "../engines/chat-template.js";
import {
  GENERATOR_SYSTEM_PROMPT,
  type GeneratorSettings,
  type SearchAlgorithm,
  type SearchCompletion,
  type SearchContext,
  type SearchProblem,
  type SearchResult,
} from "./types.js";

export interface BeamSearchConfig {
  /** N: beams kept alive (and completions returned). */
  n: number;
  /** M: candidates per beam. */
  beamWidth: number;
  iterations: number;
  filterDuplicates: boolean;
  /** Return the best-scored completed beams rather than the first finished. */
  sortCompleted: boolean;
}

export const BEAM_SEARCH_DEFAULTS: BeamSearchConfig = {
  n: 16,
  beamWidth: 4,
  iterations: 20,
  filterDuplicates: true,
  sortCompleted: false,
};

interface Beam {
  text: string;
  score: number | null;
  completed: boolean;
}

/** The generator's prompt: [system, user] rendered, with the partial answer continuing it. */
export function generatorPrompt(g: GeneratorSettings, problem: string, partial: string): string {
  const system = g.systemPrompt ?? GENERATOR_SYSTEM_PROMPT;
  const rendered = g.chatTemplate
    ? renderChat(
        g.chatTemplate,
        [
          { role: "system", content: system },
          { role: "user", content: problem },
        ],
        { addGenerationPrompt: true },
      )
    : `${system}\n\n${problem}\n\n`;
  return rendered + partial;
}

/** Steps of a partial solution as the verifier sees them (the official `## Step` / `Step N:` rule). */
export const solutionSteps = (text: string) => splitByStepHeaders(text);

const higher = (a: number | null, b: number | null) =>
  (a ?? Number.NEGATIVE_INFINITY) - (b ?? Number.NEGATIVE_INFINITY);

export const beamSearch: SearchAlgorithm<BeamSearchConfig> = async (problem, ctx, config) => {
  const { n, beamWidth, iterations } = config;
  let active: Beam[] = Array.from({ length: n }, () => ({ text: "", score: null, completed: false }));
  const completed: Beam[] = [];
  let generatedTokens = 0;
  let verifierTokens = 0;
  const g = ctx.generator;

  for (let it = 0; it < iterations && active.length > 0; it++) {
    // replicate the survivors cyclically to n
    active = Array.from({ length: n }, (_, i) => ({ ...active[i % active.length]! }));
    const last = it === iterations - 1;
    // one request per distinct prefix, with n = how many beams share it
    const byPrefix = new Map<string, Beam[]>();
    for (const b of active) byPrefix.set(b.text, [...(byPrefix.get(b.text) ?? []), b]);
    let group = 0;
    for (const [prefix, beams] of byPrefix) {
      const res = await g.engine.complete({
        prompt: generatorPrompt(g, problem.prompt ?? problem.problem, prefix),
        n: beams.length,
        maxTokens: g.maxTokens,
        temperature: g.temperature,
        ...(g.topP === undefined ? {} : { topP: g.topP }),
        ...(g.seed === undefined ? {} : { seed: g.seed + 1000 * it + 97 * group++ }),
        ...(last ? {} : { stop: ["\n\n"] }),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      generatedTokens += res.usage.generatedTokens;
      res.choices.forEach((c, i) => {
        const beam = beams[i]!;
        // the step delimiter stays in the text, as vLLM's include_stop_str_in_output does
        const step = c.text + (c.finishReason === "stop" && c.stopSequence === "\n\n" ? "\n\n" : "");
        beam.text += step;
        if (c.finishReason === "eos" || c.finishReason === "length" || step === "") beam.completed = true;
      });
    }
    const stepsOf = ctx.stepsOf ?? solutionSteps;
    // every beam is scored at once: an HTTP verifier serves them together (the embedded one queues)
    const scored = await Promise.all(
      active.map((b) => ctx.scorer.score(problem.problem, stepsOf(b.text), ctx.signal)),
    );
    scored.forEach((s, i) => {
      active[i]!.score = s.score;
      verifierTokens += s.tokens;
    });
    completed.push(...active.filter((b) => b.completed));
    active = active.filter((b) => !b.completed);
    if (active.length === 0) break;
    if (config.filterDuplicates)
      active = active.filter((b, i) => active.findIndex((x) => x.text === b.text) === i);
    const keep = Math.floor(n / beamWidth);
    // the top `keep` by score; ties keep the earlier beam (a stable sort), n < M keeps all
    if (keep > 0)
      active = [...active]
        .map((b, i) => ({ b, i }))
        .sort((x, y) => higher(y.b.score, x.b.score) || x.i - y.i)
        .slice(0, keep)
        .map((x) => x.b);
  }

  let finals = config.sortCompleted ? [...completed].sort((a, b) => higher(b.score, a.score)) : completed;
  finals = finals.slice(0, n);
  if (finals.length === 0) finals = active.slice(0, n); // nothing finished within the iterations
  const padded = finals.length > 0 ? Array.from({ length: n }, (_, i) => finals[i % finals.length]!) : [];
  const completions: SearchCompletion[] = padded.map((b) => ({
    text: b.text,
    steps: (ctx.stepsOf ?? solutionSteps)(b.text),
    score: b.score,
  }));
  return { id: problem.id, completions, pred: argmax(completions), generatedTokens, verifierTokens };
};

function argmax(cs: SearchCompletion[]): number {
  let best = -1;
  cs.forEach((c, i) => {
    if (c.score !== null && (best < 0 || c.score > cs[best]!.score!)) best = i;
  });
  return best;
}

/** DVTS: n / M independent searches of width M (each keeps its best beam), completions pooled. */
export const dvts: SearchAlgorithm<BeamSearchConfig> = async (problem, ctx, config) => {
  const subtrees = Math.max(1, Math.floor(config.n / config.beamWidth));
  const results: SearchResult[] = [];
  for (let t = 0; t < subtrees; t++) {
    const g =
      ctx.generator.seed === undefined
        ? ctx.generator
        : { ...ctx.generator, seed: ctx.generator.seed + 100_003 * t };
    const sub: SearchContext = { ...ctx, generator: g };
    results.push(await beamSearch(problem, sub, { ...config, n: config.beamWidth }));
  }
  const completions = results.flatMap((r) => r.completions);
  return {
    id: problem.id,
    completions,
    pred: argmax(completions),
    generatedTokens: results.reduce((s, r) => s + r.generatedTokens, 0),
    verifierTokens: results.reduce((s, r) => s + r.verifierTokens, 0),
  };
};

/** Best-of-N as a search: N independent samples, each scored once. */
export const bestOfNSearch: SearchAlgorithm<{ n: number }> = async (problem: SearchProblem, ctx, config) => {
  const g = ctx.generator;
  const res = await g.engine.complete({
    prompt: generatorPrompt(g, problem.prompt ?? problem.problem, ""),
    n: config.n,
    maxTokens: g.maxTokens,
    temperature: g.temperature,
    ...(g.topP === undefined ? {} : { topP: g.topP }),
    ...(g.seed === undefined ? {} : { seed: g.seed }),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const stepsOf = ctx.stepsOf ?? solutionSteps;
  // the N candidates are scored at once: an HTTP verifier serves them together (the embedded one queues)
  const scored = await Promise.all(
    res.choices.map(async (c) => {
      const steps = stepsOf(c.text);
      const s = await ctx.scorer.score(problem.problem, steps, ctx.signal);
      return { completion: { text: c.text, steps, score: s.score }, tokens: s.tokens };
    }),
  );
  const completions: SearchCompletion[] = scored.map((s) => s.completion);
  const verifierTokens = scored.reduce((sum, s) => sum + s.tokens, 0);
  return {
    id: problem.id,
    completions,
    pred: argmax(completions),
    generatedTokens: res.usage.generatedTokens,
    verifierTokens,
  };
};
