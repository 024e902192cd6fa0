import { describe, expect, it } from "vitest";
import { runEngineConformance } from "../../src/engines/conformance.js";
import { EngineCapabilityError, EngineError } from "../../src/engines/errors.js";
import { ScriptedEngine, scriptedTokens } from "../../src/engines/scripted.js";

// A deterministic "model": the reply depends on the prompt, and seeded samples on the seed.
const makeEngine = () =>
  new ScriptedEngine({
    respond: (req, i) =>
      (req.temperature ?? 0) === 0
        ? ` The next step adds 3 and 4 to get 7 for ${req.prompt.length} chars.`
        : ` sample ${req.seed ?? "unseeded"}-${i} of a longer text here`,
    probabilities: () => ({ " Yes": 0.75, " No": 0.25 }),
  });

runEngineConformance("scripted", makeEngine);
runEngineConformance(
  "scripted without optional capabilities",
  () =>
    new ScriptedEngine({
      respond: () => " fixed text that is long enough to cut",
      capabilities: {
        candidateLogprobs: false,
        topLogprobs: 0,
        prefixCaching: false,
        parallelSamples: false,
        reportsStopSequence: false,
      },
    }),
);

describe("scripted engine specifics", () => {
  it("records calls and cycles replies", async () => {
    const e = new ScriptedEngine({ replies: ["a", "b"] });
    const r = await e.complete({ prompt: "p", maxTokens: 5, n: 3 });
    expect(r.choices.map((c) => c.text)).toEqual(["a", "b", "a"]);
    expect(e.callsOf("complete")).toHaveLength(1);
  });
  it("turns scripted errors into EngineErrors and refuses unscripted probabilities", async () => {
    const e = new ScriptedEngine({ replies: [new Error("boom")] });
    await expect(e.complete({ prompt: "p", maxTokens: 5 })).rejects.toSatisfy((x) =>
      EngineError.isInstance(x),
    );
    await expect(e.nextTokenProbabilities("p", [" Yes"])).rejects.toBeInstanceOf(EngineCapabilityError);
  });
  it("the earliest stop string wins", async () => {
    const e = new ScriptedEngine({ replies: ["abc STOP2 def STOP1"] });
    const c = (await e.complete({ prompt: "p", maxTokens: 50, stop: ["STOP1", "STOP2"] })).choices[0]!;
    expect(c).toMatchObject({ text: "abc ", finishReason: "stop", stopSequence: "STOP2" });
  });
  it("tokenises words with their leading space, digits one by one", () => {
    expect(scriptedTokens("Step 12: ok")).toEqual(["Step", " 1", "2", ":", " ok"]);
  });
});
