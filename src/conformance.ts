/** `thinkprm/conformance`: the engine conformance suite (needs vitest). */
export {
  CONFORMANCE_TESTS,
  type ConformanceOptions,
  type ConformanceTest,
  runEngineConformance,
} from "./engines/conformance.js";
