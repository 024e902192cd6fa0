/**
 * Request bodies of the service, validated with zod (clear 400s, never a crash). The verifier
 * settings a request may set are the library's settings fields (`httpSettingsShape`): the same
 * names, bounds and defaults as the CLI's flags; what a request leaves out comes from `serve`'s
 * own flags.
 */
import { z } from "zod";
import { VERIFIER_FIELDS } from "../verifier/settings.js";

const steps = z.array(z.string().max(100_000)).max(200, "at most 200 steps");

/** The settings fields a request may give, optional (the server's defaults fill the rest). */
function settingsShape(): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const f of VERIFIER_FIELDS) {
    if (f.http === null) continue;
    const s = f.schema as z.ZodType & { unwrap?: () => z.ZodType };
    // strip the default: a field the request leaves out must fall back to serve's flags, not the library's default
    const inner = s.def.type === "default" && s.unwrap ? s.unwrap() : s;
    shape[f.http] = inner.optional();
  }
  return shape;
}

export const verifyBody = z
  .object({
    id: z.union([z.string().max(200), z.number()]).optional(),
    problem: z.string().min(1, "problem is empty").max(200_000),
    steps: steps.optional(),
    solution: z.string().max(1_000_000).optional(),
    /** Answer as `text/event-stream`: token, step, round, decision, done, error events. */
    stream: z.boolean().optional(),
    ...settingsShape(),
  })
  .strict()
  .refine((b) => b.steps !== undefined || b.solution !== undefined, {
    message: 'give "steps" (an array of strings) or "solution" (a string)',
  });

export const rankBody = z
  .object({
    problem: z.string().min(1).max(200_000),
    candidates: z.array(z.string().max(1_000_000)).min(1).max(64, "at most 64 candidates"),
    stream: z.boolean().optional(),
    ...settingsShape(),
  })
  .strict();

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

/** "field "k": Too big…" — every issue, with its path. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const message =
        i.code === "unrecognized_keys"
          ? `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`
          : i.message;
      return i.path.length ? `field "${i.path.join(".")}": ${message}` : message;
    })
    .join("; ");
}
