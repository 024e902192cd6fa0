/** The prompts and candidates both converter oracles evaluate (shared by the trainer tests). */
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { buildPrompt } from "../../src/verifier/prompt.js";

const r1 = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];

/** Prompts as the verifier sends them, with special tokens, unicode and mathematics. */
export const ORACLE_PROMPTS = [
  buildPrompt(
    {
      problem: "Solve for x: 2x + 3 = 7",
      steps: ["Subtract 3 from both sides: 2x = 4", "Divide by 2: x = 1"],
    },
    { chatTemplate: r1 },
  ),
  `${r1.bosToken}<｜User｜>Is 2+3 = 5?<｜Assistant｜><think>\nStep 1 is \\boxed{correct}\n</think>\nIs the solution correct?`,
  "Ünïcödé — naïve café, 你好世界, 🙂🚀, Ελληνικά, العربية, ﬁ ligature",
  "$\\frac{1}{2} + \\sqrt{x^2 + 3x - 4} = \\boxed{\\dfrac{3}{4}}$, 12345678 × 9.87e-3 ≥ ∑_{i=1}^{n} i² ∀ε>0",
  "  leading spaces\tand tabs\n\n\n   trailing   \r\nwindows line end<｜end▁of▁sentence｜>after EOS",
];
export const ORACLE_CANDIDATES = [" Yes", " No", "correct", "incorrect", "\n\n", " the"];
