// The library, end to end: engine → verifier → verify → rank. Runs offline on a model the
// project writes itself (the constant-logit oracle: P(" Yes") share 0.75 at every decision).
// Run it with `node examples/library.mjs` after `npm ci` (it imports the built package by name).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, createVerifier, rankCandidates, resolveChatTemplate } from "thinkprm";
import { makeConstantModel } from "thinkprm/llama-cpp";

const model = join(mkdtempSync(join(tmpdir(), "thinkprm-example-")), "constant.gguf");
writeFileSync(model, makeConstantModel());

// 1. an engine from a spec: { kind: "openai", endpoints: ["http://127.0.0.1:8000/v1"] } for vLLM
const engine = await createEngine({ kind: "llama-cpp", model, threads: 1 });
// 2. a verifier from settings (the same names, bounds and defaults as the CLI's flags)
const { template, source } = resolveChatTemplate("auto", { engine });
const verifier = createVerifier(
  { k: 2, maxTokens: 8, onTruncated: "force-decision" },
  { engine, chatTemplate: template },
);
// 3. verify one solution
const v = await verifier.verify({ problem: "Solve for x: 2x + 3 = 7", steps: ["2x = 4", "x = 2"] });
console.log(`chat template: ${source}`);
console.log(`score ${v.score?.toFixed(4)} (${v.decision}), ${v.validChains}/${v.chains.length} chains valid`);
// 4. rank candidates by their scores
const candidates = ["so x = \\boxed{2}", "so x = \\boxed{3}", "x = \\boxed{2}"];
const scores = [];
for (const text of candidates)
  scores.push((await verifier.verify({ problem: "Solve 2x + 3 = 7", steps: [text] })).score);
const best = rankCandidates(candidates.map((text, i) => ({ text, score: scores[i] })));
console.log(`weighted vote picks candidate ${best.weighted}: ${candidates[best.weighted]}`);
await engine.close();
