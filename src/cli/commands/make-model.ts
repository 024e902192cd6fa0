import { writeFileSync } from "node:fs";
import { makeConstantModel, makeTinyModel } from "../../engines/llama-cpp/test-models.js";
import { CliError, type CliIo, resolvePath } from "../io.js";

export type ModelKind =
  | "tiny"
  | "constant"
  | "qwen-tokenizer"
  | "hf-tiny"
  | "hf-qwen-tokenizer"
  | "shape-1.5b";

export interface MakeModelOptions {
  kind: ModelKind;
  out: string;
  seed: number;
}

/** Writes a generated model: a GGUF file, or for hf-tiny a Hugging Face checkpoint folder. */
export async function runMakeModel(io: CliIo, opts: MakeModelOptions): Promise<void> {
  const out = resolvePath(io, opts.out);
  switch (opts.kind) {
    case "tiny":
    case "constant": {
      const bytes = opts.kind === "tiny" ? makeTinyModel(opts.seed) : makeConstantModel();
      writeFileSync(out, bytes);
      io.stdout.write(`wrote ${opts.out} (${opts.kind}, ${bytes.length} bytes)\n`);
      return;
    }
    case "qwen-tokenizer": {
      const { makeQwenTokenizerModel } = await import("../../engines/llama-cpp/qwen-tokenizer-model.js");
      let bytes: Buffer;
      try {
        bytes = makeQwenTokenizerModel(opts.seed);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      writeFileSync(out, bytes);
      io.stdout.write(
        `wrote ${opts.out} (tiny weights, the real Qwen / R1-Distill tokenizer, ${bytes.length} bytes)\n`,
      );
      return;
    }
    case "hf-tiny": {
      const { writeHfTinyCheckpoint } = await import("../../engines/llama-cpp/test-checkpoint.js");
      const files = writeHfTinyCheckpoint(out, opts.seed);
      io.stdout.write(`wrote the checkpoint folder ${opts.out}: ${files.join(", ")}\n`);
      return;
    }
    case "hf-qwen-tokenizer": {
      const { writeHfQwenTokenizerCheckpoint } = await import("../../engines/llama-cpp/test-checkpoint.js");
      let files: string[];
      try {
        files = await writeHfQwenTokenizerCheckpoint(out, opts.seed);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      io.stdout.write(
        `wrote the checkpoint folder ${opts.out} (tiny weights, the real R1-Distill-Qwen tokenizer): ${files.join(", ")}\n`,
      );
      return;
    }
    case "shape-1.5b": {
      const { writeShape15bModel } = await import("../../engines/llama-cpp/shape-model.js");
      writeShape15bModel(out, (i, n) => {
        if (i % 40 === 0) io.stderr.write(`  tensor ${i + 1}/${n}\n`);
      });
      io.stdout.write(
        `wrote ${opts.out} (R1-Distill-Qwen-1.5B shape, random Q8_0 weights: for benchmarks only)\n`,
      );
      return;
    }
  }
}
