import { type ConvertResult, convertQwen2Checkpoint } from "../../engines/llama-cpp/convert-qwen2.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";

export interface ConvertCommandOptions {
  out: string;
  type: "f32" | "f16" | "q8_0";
  json?: boolean;
}

/** `thinkprm convert`: a Qwen2 checkpoint folder → GGUF; says what it read (RoPE, template) so a wrong guess cannot hide. */
export async function runConvert(io: CliIo, checkpoint: string, opts: ConvertCommandOptions): Promise<void> {
  const started = Date.now();
  let result: ConvertResult;
  try {
    result = convertQwen2Checkpoint(resolvePath(io, checkpoint), resolvePath(io, opts.out), {
      type: opts.type,
      onTensor: (i, n, name) => {
        if (!opts.json && (i % 25 === 0 || i === n - 1)) io.stderr.write(`  tensor ${i + 1}/${n} ${name}\n`);
      },
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const h = result.hparams;
  const rope =
    h.rope.type === "none"
      ? `rope freq_base ${h.ropeTheta}`
      : `rope freq_base ${h.ropeTheta}, ${h.rope.type} ×${h.rope.factor}`;
  const seconds = (Date.now() - started) / 1000;
  if (opts.json)
    return writeJsonLine(io, {
      out: opts.out,
      type: opts.type,
      tensors: result.tensors,
      hparams: h,
      chat_template: result.chatTemplateSource,
      seconds,
    });
  io.stdout.write(
    `wrote ${opts.out}: ${result.tensors} tensors, ${opts.type}, ${rope}, chat template ${result.chatTemplateSource ? `from ${result.chatTemplateSource}` : "none (the checkpoint has none)"}, in ${seconds.toFixed(1)} s\n`,
  );
}
