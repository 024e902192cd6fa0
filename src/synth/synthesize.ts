/**
 * Teacher sampling over labelled prefixes (thinkprm-spec.md §4.1): the paper's teacher prompt,
 * `perPrefix` chains per prefix at a low temperature, each judged by the filters, until enough are
 * kept. Every raw generation is returned (the caller stores it), so a crash loses nothing and a
 * resumed run samples nothing twice.
 */

import { buildTeacherMessage } from "../core/judge-prompts.js";
import type { LabelledPrefix } from "../datasets/prm800k.js";
import { type ChatTemplate, renderChat } from "../engines/chat-template.js";
import type { Engine } from "../engines/types.js";
import { type ChainJudgement, type FilterOptions, judgeChain, type RejectReason } from "./filters.js";

export interface SynthSettings extends FilterOptions {
  perPrefix: number;
  temperature: number;
  maxTokens: number;
  /** Chains longer than this (in tokens of the target model) are rejected. */
  maxLength: number;
  seed?: number;
}

export interface GenerationRecord extends Omit<ChainJudgement, "reason"> {
  text: string;
  tokens: number;
  reason: RejectReason | null;
}

export interface PrefixRecord {
  prefix: LabelledPrefix;
  generations: GenerationRecord[];
}

/** The teacher prompt for a prefix, after the teacher's chat template. */
export function teacherPrompt(prefix: LabelledPrefix, template: ChatTemplate | null): string {
  const user = buildTeacherMessage(prefix.problem, prefix.steps);
  return template
    ? renderChat(template, [{ role: "user", content: user }], { addGenerationPrompt: true })
    : user;
}

/**
 * Samples and judges the chains of one prefix. `seen` holds cleaned chains already kept (dedupe
 * inline); without it, duplicates are left for `markDuplicates`, which a concurrent run applies in
 * input order so the outcome does not depend on which prefix finished first.
 */
export async function synthesizePrefix(
  prefix: LabelledPrefix,
  teacher: Engine,
  template: ChatTemplate | null,
  settings: SynthSettings,
  countTokens: (text: string) => number,
  seen?: Set<string>,
  signal?: AbortSignal,
): Promise<PrefixRecord> {
  const res = await teacher.complete({
    prompt: teacherPrompt(prefix, template),
    n: settings.perPrefix,
    maxTokens: settings.maxTokens,
    temperature: settings.temperature,
    ...(settings.seed === undefined ? {} : { seed: settings.seed }),
    ...(teacher.eosToken ? { stop: [teacher.eosToken] } : {}),
    ...(signal ? { signal } : {}),
  });
  const generations = res.choices.map((c): GenerationRecord => {
    const j = judgeChain(prefix.ratings, prefix.steps.length, c.text, settings);
    const tokens = countTokens(j.cleaned);
    let reason: RejectReason | null = j.reason ?? null;
    if (!reason && tokens > settings.maxLength) reason = "too_long";
    if (!reason && seen?.has(j.cleaned)) reason = "duplicate";
    if (!reason) seen?.add(j.cleaned);
    return { ...j, kept: reason === null, reason, text: c.text, tokens };
  });
  return { prefix, generations };
}

/**
 * Marks chains identical to one kept earlier (in record order) as duplicates: a copy of each
 * record, the input unchanged. `seen` carries the kept chains across calls (incremental use).
 */
export function markDuplicates(records: readonly PrefixRecord[], seen = new Set<string>()): PrefixRecord[] {
  return records.map((r) => ({
    ...r,
    generations: r.generations.map((g) => {
      if (!g.kept) return g;
      if (seen.has(g.cleaned)) return { ...g, kept: false, reason: "duplicate" as const };
      seen.add(g.cleaned);
      return g;
    }),
  }));
}

export interface SynthYield {
  prefixes: number;
  sampled: number;
  kept: number;
  reasons: Partial<Record<RejectReason, number>>;
}

export function synthYield(records: readonly PrefixRecord[]): SynthYield {
  const reasons: Partial<Record<RejectReason, number>> = {};
  let sampled = 0;
  let kept = 0;
  for (const r of records) {
    for (const g of r.generations) {
      sampled++;
      if (g.kept) kept++;
      else if (g.reason) reasons[g.reason] = (reasons[g.reason] ?? 0) + 1;
    }
  }
  return { prefixes: records.length, sampled, kept, reasons };
}
