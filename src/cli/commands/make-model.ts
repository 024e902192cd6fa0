import { writeFileSync } from "node:fs";
import { makeConstantModel, makeTinyModel } from "../../engines/llama-cpp/test-models.js";
import { type CliIo, resolvePath } from "../io.js";

export interface MakeModelOptions {
  kind: "tiny" | "constant";
  out: string;
  seed: number;
}

export async function runMakeModel(io: CliIo, opts: MakeModelOptions): Promise<void> {
  const bytes = opts.kind === "tiny" ? makeTinyModel(opts.seed) : makeConstantModel();
  writeFileSync(resolvePath(io, opts.out), bytes);
  io.stdout.write(`wrote ${opts.out} (${opts.kind}, ${bytes.length} bytes)\n`);
}
