/** The verifiers a command can run (kept apart from their code so --help stays fast). */
export const VERIFIER_METHODS = [
  "thinkprm",
  "judge-single",
  "judge-badstep",
  "judge-each",
  "disc-prm",
  "math-shepherd",
] as const;
export type VerifierMethod = (typeof VERIFIER_METHODS)[number];
