/**
 * The generic input record of the verification commands: `{id?, problem, steps: string[]}` or
 * `{id?, problem, solution: string}` (the solution is split into steps).
 */
import { z } from "zod";
import { type StepSplitRule, splitSteps } from "../core/step-split.js";
import type { SolutionInput } from "../core/types.js";
import { describeZodError, InputError, type JsonlLine } from "./jsonl.js";

export const solutionRecordSchema = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    problem: z.string({ error: 'expected a string; every record needs "problem"' }),
    steps: z.array(z.string(), { error: "expected an array of strings" }).optional(),
    solution: z.string({ error: "expected a string" }).optional(),
    /** ProcessBench's gold label: index of the earliest wrong step, -1 if none. */
    label: z.number().int().min(-1).optional(),
    /** Whether the solution is correct (e.g. ProcessBench `final_answer_correct`). */
    correct: z.boolean().optional(),
  })
  .loose()
  .refine((r) => r.steps !== undefined || r.solution !== undefined, {
    message:
      'the record has neither "steps" (an array of strings) nor "solution" (a string); give one of them',
  })
  // both would leave it unclear which the verifier judges (the steps, silently): refuse
  .refine((r) => r.steps === undefined || r.solution === undefined, {
    message:
      'the record has both "steps" and "solution"; give one of them ("steps": the solution already cut into steps, "solution": one text that is split into steps)',
  });

export type SolutionRecord = z.output<typeof solutionRecordSchema>;

/** Validates one parsed line into a `SolutionInput`, or throws an `InputError` naming file, line and field. */
export function toSolutionInput(
  { line, value }: JsonlLine,
  source: string,
  splitRule: StepSplitRule = "auto",
): SolutionInput {
  const parsed = solutionRecordSchema.safeParse(value);
  if (!parsed.success) throw new InputError(source, line, describeZodError(parsed.error));
  const r = parsed.data;
  const steps = r.steps ?? splitSteps(r.solution ?? "", splitRule);
  const input: SolutionInput = { problem: r.problem, steps };
  if (r.id !== undefined) input.id = String(r.id);
  if (r.steps === undefined && r.solution !== undefined) input.solution = r.solution;
  if (r.label !== undefined || r.correct !== undefined) {
    input.gold = {
      ...(r.label === undefined ? {} : { firstErrorStep: r.label }),
      ...(r.correct === undefined ? {} : { correct: r.correct }),
    };
  }
  return input;
}
