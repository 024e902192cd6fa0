/** Request bodies of the service, validated with zod (clear 400s, never a crash). */
import { z } from "zod";

const steps = z.array(z.string()).max(200, "at most 200 steps");

export const verifyBody = z
  .object({
    problem: z.string().min(1, "problem is empty"),
    steps: steps.optional(),
    solution: z.string().optional(),
    k: z.number().int().min(1).max(16).optional(),
    rounds: z.number().int().min(1).max(4).optional(),
    early_exit: z.boolean().optional(),
    max_tokens: z.number().int().min(1).max(32768).optional(),
    temperature: z.number().min(0).max(2).optional(),
    seed: z.number().int().optional(),
  })
  .refine((b) => b.steps !== undefined || b.solution !== undefined, {
    message: 'give "steps" (an array of strings) or "solution" (a string)',
  });

export const rankBody = z.object({
  problem: z.string().min(1),
  candidates: z.array(z.string()).min(1).max(64, "at most 64 candidates"),
  k: z.number().int().min(1).max(16).optional(),
  max_tokens: z.number().int().min(1).max(32768).optional(),
});

export const completionsBody = z.object({
  model: z.string().optional(),
  prompt: z.union([z.string(), z.array(z.string()).length(1, "one prompt per request")]),
  n: z.number().int().min(1).max(16).optional(),
  max_tokens: z.number().int().min(0).max(32768).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).optional(),
  logprobs: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().optional(),
  stream: z.boolean().optional(),
});

/** "field "k": Too big…" — the first issue, with its path. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `field "${i.path.join(".")}": ${i.message}` : i.message))
    .join("; ");
}
