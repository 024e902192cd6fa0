import { convertQwen2Checkpoint } from "../../engines/llama-cpp/convert-qwen2.js";
import { CliError, type CliIo, resolvePath } from "../io.js";

export interface ConvertCommandOptions {
  out: string;
  type: "f32" | "f16" | "q8_0";
}

export async function runConvert(io: CliIo, checkpoint: string, opts: ConvertCommandOptions): Promise<void> {
  const started = Date.now();
  let result: { tensors: number };
  try {
    result = convertQwen2Checkpoint(resolvePath(io, checkpoint), resolvePath(io, opts.out), {
      type: opts.type,
      onTensor: (i, n, name) => {
        if (i % 25 === 0 || i === n - 1) io.stderr.write(`  tensor ${i + 1}/${n} ${name}\n`);
      },
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  io.stdout.write(
    `wrote ${opts.out}: ${result.tensors} tensors, ${opts.type}, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
