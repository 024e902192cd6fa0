/**
 * Two GGUF files of the same checkpoint compared with the project's reader: metadata key by key
 * (arrays element by element) and tensors by name, shape, type and value.
 */
import { readGgufHeader, readGgufTensor } from "../../src/engines/llama-cpp/gguf-reader.js";

export interface GgufDiff {
  /** Keys whose values differ, with both values (long strings and arrays summarised). */
  metadata: Record<string, [unknown, unknown]>;
  tensors: string[];
  tensorCount: [number, number];
}

const summary = (v: unknown) =>
  Array.isArray(v)
    ? `[${v.length} items]`
    : typeof v === "string" && v.length > 60
      ? `${v.slice(0, 60)}…`
      : typeof v === "bigint"
        ? Number(v)
        : v;

/** Metadata float32 values compare as written; the reader returns them as JS numbers. */
export function diffGguf(ours: string, theirs: string): GgufDiff {
  const a = readGgufHeader(ours);
  const b = readGgufHeader(theirs);
  const metadata: GgufDiff["metadata"] = {};
  for (const key of new Set([...a.metadata.keys(), ...b.metadata.keys()])) {
    const x = a.metadata.get(key);
    const y = b.metadata.get(key);
    const same =
      Array.isArray(x) && Array.isArray(y)
        ? x.length === y.length && x.every((v, i) => v === y[i])
        : x === y || (typeof x !== "object" && typeof y !== "object" && String(x) === String(y));
    if (!same) metadata[key] = [summary(x), summary(y)];
  }
  const tensors: string[] = [];
  for (const name of new Set([...a.tensors.map((t) => t.name), ...b.tensors.map((t) => t.name)])) {
    const ta = a.tensors.find((t) => t.name === name);
    const tb = b.tensors.find((t) => t.name === name);
    if (!ta || !tb) {
      tensors.push(`${name}: only in ${ta ? "ours" : "llama.cpp's"}`);
      continue;
    }
    if (ta.dims.join() !== tb.dims.join() || ta.type !== tb.type) {
      tensors.push(`${name}: [${ta.dims}] type ${ta.type} vs [${tb.dims}] type ${tb.type}`);
      continue;
    }
    const va = readGgufTensor(ours, a, name);
    const vb = readGgufTensor(theirs, b, name);
    let differing = 0;
    for (let i = 0; i < va.length; i++) if (!Object.is(va[i], vb[i])) differing++;
    if (differing > 0) tensors.push(`${name}: ${differing} values differ`);
  }
  return { metadata, tensors, tensorCount: [a.tensors.length, b.tensors.length] };
}

/**
 * What llama.cpp's converter writes and ours does not, each justified in the README
 * ("Converter oracles"): informational keys only.
 */
export const EXPECTED_METADATA_DIFFERENCES = [
  "general.name", // ours: the folder name as it is; llama.cpp: title-cased from it
  "general.size_label", // llama.cpp's parameter-count label ("20M"); informational
  "general.sampling.top_p", // llama.cpp copies generation_config.json's sampling defaults;
  "general.sampling.temp", // the verifier sets its own sampling, so thinkprm does not
] as const;
