/**
 * thinkprm — generative process reward models (ThinkPRM, arXiv 2504.16828).
 *
 * @example
 * import { ThinkPrmVerifier, BUILTIN_CHAT_TEMPLATES } from "thinkprm";
 * const verifier = new ThinkPrmVerifier({ engine, chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"], k: 4 });
 * const v = await verifier.verify({ problem, steps });
 * v.score; v.stepVerdicts; v.firstIncorrectStep;
 */
export * from "./core/index.js";
export * from "./datasets/index.js";
export * from "./engines/index.js";
export * from "./eval/index.js";
export * from "./grading/index.js";
export * from "./search/index.js";
export * from "./synth/index.js";
export * from "./train/index.js";
export * from "./verifier/index.js";
