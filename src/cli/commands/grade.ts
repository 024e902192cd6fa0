import { Readable } from "node:stream";
import { z } from "zod";
import { describeZodError, InputError, readJsonl } from "../../datasets/jsonl.js";
import { gradeAnswer } from "../../grading/equivalence.js";
import { CliError, type CliIo, readText, writeJsonLine } from "../io.js";

const recordSchema = z
  .object({
    gold: z.string({ error: 'expected a string; every record needs "gold" (the reference answer)' }),
    pred: z.string({ error: 'expected a string; every record needs "pred" (the answer or output to grade)' }),
  })
  .loose();

/** One output line per input line: the record, plus equivalent, gold_norm, pred_norm. Exit 0. */
export async function runGrade(io: CliIo, opts: { input?: string; summary?: boolean }): Promise<void> {
  const source = opts.input ?? "<stdin>";
  const text = await readText(io, opts.input, "input", "JSONL of {gold, pred}");
  let total = 0;
  let equivalent = 0;
  try {
    for await (const { line, value } of readJsonl(Readable.from([text]), source)) {
      const parsed = recordSchema.safeParse(value);
      if (!parsed.success) throw new InputError(source, line, describeZodError(parsed.error));
      const d = gradeAnswer(parsed.data.gold, parsed.data.pred);
      total++;
      if (d.equivalent) equivalent++;
      writeJsonLine(io, { ...parsed.data, equivalent: d.equivalent, gold_norm: d.gold, pred_norm: d.pred });
    }
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  if (opts.summary) io.stderr.write(`${equivalent} of ${total} equivalent\n`);
}
