/**
 * `--model`: a GGUF path, a Hugging Face checkpoint folder, `hf:<repo>/<file>.gguf`, or a Hugging
 * Face repo id of a Qwen2 checkpoint (ThinkPRM-1.5B/7B/14B are published only as safetensors).
 * Whatever it names ends as a local GGUF file: downloaded into the cache and, for checkpoints,
 * converted once and kept.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ModelSettings } from "../settings.js";
import { type ConvertType, convertQwen2Checkpoint } from "./convert-qwen2.js";
import { type DownloadProgress, downloadHubFile, HubError, listHubFiles, repoCacheDir } from "./hub.js";

/** The verifier the paper releases at the smallest size. */
export const DEFAULT_VERIFIER_MODEL = "launch/ThinkPRM-1.5B";

export interface ResolveModelOptions {
  settings: ModelSettings;
  /** Conversion type for checkpoints. Default q8_0 (a good CPU trade-off). */
  type?: ConvertType;
  revision?: string;
  cwd?: string;
  onProgress?: (p: DownloadProgress) => void;
  onStatus?: (message: string) => void;
}

const CHECKPOINT_FILE =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json)$/;

function convertOnce(dir: string, out: string, options: ResolveModelOptions): string {
  if (existsSync(out)) return out;
  options.onStatus?.(`converting ${dir} to ${out} (${options.type ?? "q8_0"}), once`);
  const tmp = `${out}.converting`;
  convertQwen2Checkpoint(dir, tmp, {
    type: options.type ?? "q8_0",
    onTensor: (i, n) => {
      if (i % 50 === 0) options.onStatus?.(`  tensor ${i + 1}/${n}`);
    },
  });
  renameSync(tmp, out); // only a complete conversion gets the final name
  return out;
}

/** Resolves `spec` to a local GGUF path, downloading and converting as needed. */
export async function resolveModel(spec: string, options: ResolveModelOptions): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const local = resolve(cwd, spec);
  const type = options.type ?? "q8_0";
  if (existsSync(local)) {
    if (statSync(local).isFile()) return local;
    if (existsSync(join(local, "config.json"))) {
      const key = createHash("sha256").update(local).digest("hex").slice(0, 16);
      const out = join(options.settings.cacheDir, "converted", `${key}-${type}.gguf`);
      mkdirSync(join(options.settings.cacheDir, "converted"), { recursive: true });
      return convertOnce(local, out, options);
    }
    throw new HubError(
      `${spec} is a folder without config.json; give a .gguf file or a Hugging Face checkpoint folder`,
    );
  }
  if (spec.endsWith(".gguf") && !spec.startsWith("hf:")) {
    throw new HubError(`model file not found: ${spec}`);
  }
  const revision = options.revision ?? "main";
  if (spec.startsWith("hf:")) {
    const m = spec.slice(3).match(/^([^/]+\/[^/]+)\/(.+\.gguf)$/);
    if (!m) throw new HubError(`"${spec}" is not of the form hf:<owner>/<repo>/<file>.gguf`);
    const [, repo, path] = m as unknown as [string, string, string];
    const files = await listHubFiles(options.settings, repo, revision);
    const file = files.find((f) => f.path === path);
    if (!file)
      throw new HubError(
        `${repo} has no ${path}; it has ${
          files
            .filter((f) => f.path.endsWith(".gguf"))
            .map((f) => f.path)
            .join(", ") || "no .gguf files"
        }`,
      );
    return downloadHubFile(
      options.settings,
      repo,
      file,
      join(repoCacheDir(options.settings, repo, revision), path),
      {
        revision,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(spec)) {
    throw new HubError(
      `model "${spec}" is neither a local file or folder, nor hf:<repo>/<file>.gguf, nor a repo id like ${DEFAULT_VERIFIER_MODEL}`,
    );
  }
  const dir = repoCacheDir(options.settings, spec, revision);
  const out = join(dir, `model-${type}.gguf`);
  if (existsSync(out)) return out;
  const files = (await listHubFiles(options.settings, spec, revision)).filter((f) =>
    CHECKPOINT_FILE.test(f.path),
  );
  if (!files.some((f) => f.path.endsWith(".safetensors"))) {
    throw new HubError(`${spec} has no safetensors weights; give a .gguf file with hf:${spec}/<file>.gguf`);
  }
  for (const f of files) {
    options.onStatus?.(`downloading ${spec}/${f.path} (${(f.size / 2 ** 20).toFixed(1)} MiB)`);
    await downloadHubFile(options.settings, spec, f, join(dir, f.path), {
      revision,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
  return convertOnce(dir, out, options);
}
