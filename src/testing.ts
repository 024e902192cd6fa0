/**
 * `thinkprm/testing`: a scripted engine for your own tests (scripted completions and
 * probabilities, recorded calls), and the conformance suite every engine must pass.
 */
export {
  type RecordedCall,
  type ScriptedCompletion,
  ScriptedEngine,
  type ScriptedEngineOptions,
  type ScriptedReply,
  scriptedTokens,
} from "./engines/scripted.js";
