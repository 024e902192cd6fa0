/**
 * The playground's built-in examples. Each solution is written the way users paste them, one per
 * step-splitting rule (`Step N:` headers, blank-line paragraphs, sentences), so picking one also
 * shows how the page cuts a solution into steps.
 */
export interface PlaygroundExample {
  id: string;
  title: string;
  problem: string;
  solution: string;
}

export const PLAYGROUND_EXAMPLES: readonly PlaygroundExample[] = [
  {
    id: "linear-equation",
    title: "Linear equation, one wrong step (the README's)",
    problem: "Solve for $x$: $2x + 3 = 7$.",
    solution: "Step 1: Subtract 3 from both sides: $2x = 4$.\nStep 2: Divide by 2: $x = 1$.",
  },
  {
    id: "arithmetic-correct",
    title: "Arithmetic, all steps correct",
    problem: "Start at $2$, add $3$, double the result, then subtract $1$. What number do you get?",
    solution:
      "Adding: $2 + 3 = 5$.\n\nDoubling: $5 \\times 2 = 10$.\n\nSubtracting: $10 - 1 = 9$, so the answer is $\\boxed{9}$.",
  },
  {
    id: "arithmetic-incorrect",
    title: "Arithmetic, the last step wrong",
    problem: "Start at $2$, add $3$, double the result, then subtract $1$. What number do you get?",
    solution:
      "Adding: $2 + 3 = 5$.\n\nDoubling: $5 \\times 2 = 10$.\n\nSubtracting: $10 - 1 = 8$, so the answer is $\\boxed{8}$.",
  },
  {
    id: "fractions",
    title: "Fractions, one paragraph (split into sentences)",
    problem: "What is $\\frac{1}{3}$ of $18$, plus $\\frac{1}{2}$ of $10$?",
    solution:
      "One third of 18 is $\\frac{18}{3} = 6$. Half of 10 is $\\frac{10}{2} = 5$. Adding them gives $6 + 5 = 11$, so the answer is $\\boxed{11}$.",
  },
];
