import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildThinkPrmUserMessage } from "../../src/core/thinkprm-prompt.js";
import { fixture, REPO_ROOT } from "../helpers.js";
import { cli, workdir } from "./run-cli.js";

const record = {
  id: "a",
  problem: "Solve for x: 2x + 3 = 7",
  steps: ["Subtract 3 from both sides: 2x = 4", "Divide by 2: x = 1"],
};
const jsonl = (...rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join("\n");
const INCORRECT = readFileSync(fixture("chains/linear-equation-incorrect.txt"), "utf8");
const script = (p: number) =>
  JSON.stringify({ replies: [INCORRECT], probabilities: { " Yes": p, " No": 1 - p } });

describe("thinkprm prompt", () => {
  it("prints the exact prompt for one record (no newline added)", async () => {
    const r = await cli(["prompt"], { stdin: jsonl(record) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `<｜begin▁of▁sentence｜><｜User｜>${buildThinkPrmUserMessage(record.problem, record.steps)}<｜Assistant｜><think>\n\nLet's verify step by step:`,
    );
  });

  it("--json, --layout plain, --chat-template none, --no-lets-verify, a {solution} record split into steps", async () => {
    const r = await cli(
      ["prompt", "--json", "--layout", "plain", "--chat-template", "none", "--no-lets-verify"],
      {
        stdin: jsonl(record, { problem: "p", solution: "Step 1: a\nStep 2: b" }),
      },
    );
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      id: "a",
      prompt: buildThinkPrmUserMessage(record.problem, record.steps, { layout: "plain" }),
      chat_template: "none",
    });
    expect(lines[1]).toEqual({
      id: null,
      prompt: buildThinkPrmUserMessage("p", ["a", "b"], { layout: "plain" }),
      chat_template: "none",
    });
  });

  it("judge templates and a tokenizer_config.json chat template", async () => {
    const dir = workdir({
      "in.jsonl": jsonl(record),
      "tokenizer_config.json": JSON.stringify({
        chat_template: "[{{ messages[0]['content'] }}]",
        eos_token: "</s>",
      }),
    });
    const r = await cli(
      ["prompt", "-i", "in.jsonl", "--template", "judge-single", "--chat-template", "tokenizer_config.json"],
      { cwd: dir },
    );
    expect(r.stdout.startsWith("[The following is a math problem")).toBe(true);
    expect(r.stdout.endsWith("in \\boxed{}]")).toBe(true); // no ThinkPRM suffix on judge prompts
  });

  it("a malformed line fails with file:line and the field at fault", async () => {
    const dir = workdir({
      "in.jsonl": `${jsonl(record)}\n\n${JSON.stringify({ problem: "p", steps: ["a", 3] })}\n`,
    });
    const r = await cli(["prompt", "--input", "in.jsonl"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: in.jsonl:3: field "steps[1]": expected string, received number\n');
    const bad = await cli(["prompt"], { stdin: '{"problem": "p", "steps": [' });
    expect(bad.stderr).toMatch(/^error: <stdin>:1: not valid JSON/);
    const neither = await cli(["prompt"], { stdin: '{"problem": "p"}' });
    expect(neither.stderr).toContain('neither "steps"');
    const missing = await cli(["prompt", "-i", "nope.jsonl"], { cwd: dir });
    expect(missing.stderr).toContain("input file not found: nope.jsonl");
  });

  it("an unknown chat template says what is accepted", async () => {
    const r = await cli(["prompt", "--chat-template", "llama9"], { stdin: jsonl(record) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("r1-distill-qwen, qwen2.5, or none");
  });
});

describe("thinkprm parse", () => {
  it("prints judgments, first error and decision as JSON", async () => {
    const r = await cli(["parse", fixture("chains/linear-equation-incorrect.txt"), "--steps", "2"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      ok: true,
      stepVerdicts: ["correct", "incorrect"],
      firstIncorrectStep: 1,
      decision: "no",
      warnings: [],
    });
  });
  it("reads stdin and exits 1 with coded issues for an invalid chain", async () => {
    const r = await cli(["parse", "--finish-reason", "length"], { stdin: "Step 1: \\boxed{correct}" });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).issues.map((i: { code: string }) => i.code)).toEqual([
      "truncated",
      "missing_decision",
    ]);
  });
});

describe("thinkprm verify", () => {
  it("one solution from flags: the human view", async () => {
    const dir = workdir({ "s.json": script(0.1) });
    const r = await cli(
      [
        "verify",
        "-q",
        "-e",
        "scripted:s.json",
        "--problem",
        record.problem,
        "--step",
        record.steps[0]!,
        "--step",
        record.steps[1]!,
      ],
      {
        cwd: dir,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("score 0.1000 → no");
    expect(r.stdout).toContain("✓ Step 1  Subtract 3 from both sides: 2x = 4");
    expect(r.stdout).toContain("✗ Step 2  Divide by 2: x = 1");
    expect(r.stdout).toContain("first error: step 2");
    expect(r.stdout.trim().endsWith("1 verified, 1 scored, 0 unscored, 0 invalid chains")).toBe(true);
  });

  it("a JSONL file with -k, --rounds and --json", async () => {
    const dir = workdir({ "s.json": script(0.7), "in.jsonl": jsonl(record, { ...record, id: "b" }) });
    const r = await cli(
      [
        "verify",
        "-e",
        "scripted:s.json",
        "-i",
        "in.jsonl",
        "-k",
        "2",
        "--rounds",
        "2",
        "--seed",
        "1",
        "--json",
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.id)).toEqual(["a", "b"]);
    expect(out[0].chains).toHaveLength(2);
    expect(out[0].chains[0].rounds).toBe(2);
    expect(out[0].score).toBeCloseTo(0.7, 12);
  });

  it("--early-exit reports the estimate of tokens saved", async () => {
    const dir = workdir({ "s.json": script(0.1) });
    const r = await cli(
      [
        "verify",
        "-e",
        "scripted:s.json",
        "--problem",
        "p",
        "--solution",
        "Step 1: a\nStep 2: b\nStep 3: c",
        "--early-exit",
      ],
      {
        cwd: dir,
      },
    );
    expect(r.stdout).toMatch(/early exit at step 2: 1 steps skipped, ~\d+ tokens saved \(estimate\)/);
  });

  it("exits 1 when a solution gets no score, and says why", async () => {
    const dir = workdir({ "s.json": JSON.stringify({ replies: [INCORRECT], probabilities: {} }) });
    const r = await cli(["verify", "-e", "scripted:s.json", "--problem", "p", "--step", "a"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("chain 1 invalid: choice_token_absent");
    expect(r.stdout).toContain("0 scored, 1 unscored");
  });

  it("clear errors for engines and bad flags", async () => {
    const unknown = await cli(["verify", "-e", "gpt9", "--problem", "p", "--step", "a"]);
    expect(unknown.stderr).toContain(
      'unknown engine "gpt9". Available: llama-cpp[:<model>], openai:<url>[,<url>…] (vLLM, SGLang, llama.cpp server, Ollama, OpenAI), scripted:<script.json>, or synthetic-teacher[:<options>]',
    );
    const misplaced = await cli([
      "verify",
      "-e",
      "scripted:x",
      "--server-kind",
      "sglang",
      "--problem",
      "p",
      "--step",
      "a",
    ]);
    expect(misplaced.stderr).toContain("--server-kind applies to --engine openai, not to --engine scripted");
    const notYet = await cli(["verify", "-e", "openai", "--problem", "p", "--step", "a"]);
    expect(notYet.stderr).toContain(
      "--engine openai needs the server: --engine openai:http://127.0.0.1:8000/v1",
    );
    const down = await cli(["verify", "-e", "openai:http://127.0.0.1:1/v1", "--problem", "p", "--step", "a"]);
    expect(down.stderr).toMatch(/could not list the models of http:\/\/127.0.0.1:1\/v1/);
    const noFile = await cli(["verify", "-e", "llama-cpp:missing.gguf", "--problem", "p", "--step", "a"]);
    expect(noFile.stderr).toContain("model file not found: missing.gguf");
    const badScript = await cli(["verify", "-e", "scripted:s.json", "--problem", "p", "--step", "a"], {
      cwd: workdir({ "s.json": '{"replies": [3]}' }),
    });
    expect(badScript.stderr).toMatch(/s.json: field "replies\[0\]"/);
    const badK = await cli(["verify", "-e", "scripted:x", "-k", "0"]);
    expect(badK.code).toBe(2);
    expect(badK.stderr).toContain("-k must be an integer from 1 to 64");
    // the default engine is llama-cpp with launch/ThinkPRM-1.5B; with no network it says what to do
    const offline = await cli(["verify", "--problem", "p", "--step", "a"], {
      env: { HF_HUB_OFFLINE: "1", THINKPRM_CACHE: workdir({}) },
    });
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain(
      "HF_HUB_OFFLINE is set, so the file list of launch/ThinkPRM-1.5B cannot be fetched",
    );
    const noSolution = await cli(["verify", "-e", "scripted:x", "--problem", "p"], {
      cwd: workdir({ x: script(0.5) }),
    });
    expect(noSolution.stderr).toContain("--problem needs its solution");
  });
});

describe("the installed binary", () => {
  it("runs as a real process: --help lists the commands", () => {
    const out = execFileSync(process.execPath, [join(REPO_ROOT, "bin/thinkprm.js"), "--help"], {
      encoding: "utf8",
    });
    expect(out).toMatch(/Commands:[\s\S]*prompt[\s\S]*parse[\s\S]*verify/);
  });
  it("reads stdin and writes stdout as a real process", () => {
    const out = execFileSync(
      process.execPath,
      [join(REPO_ROOT, "bin/thinkprm.js"), "prompt", "--json", "--chat-template", "none"],
      {
        input: jsonl(record),
        encoding: "utf8",
      },
    );
    expect(JSON.parse(out).prompt).toBe(
      `${buildThinkPrmUserMessage(record.problem, record.steps)}\nLet's verify step by step:`,
    );
  });
});

describe("thinkprm convert and dev make-model", () => {
  it("make-model hf-tiny, convert it, and verify with the converted model on the embedded engine", async () => {
    const dir = workdir({ "in.jsonl": jsonl(record) });
    const made = await cli(["dev", "make-model", "--kind", "hf-tiny", "-o", "ckpt"], { cwd: dir });
    expect(made.stdout).toContain("model.safetensors");
    const conv = await cli(["convert", "ckpt", "-o", "m.gguf", "--type", "q8_0"], { cwd: dir });
    expect(conv.code).toBe(0);
    expect(conv.stdout).toMatch(/wrote m.gguf: 27 tensors, q8_0/);
    const v = await cli(
      [
        "verify",
        "-q",
        "-e",
        "llama-cpp",
        "-m",
        "m.gguf",
        "--threads",
        "1",
        "--max-tokens",
        "8",
        "-i",
        "in.jsonl",
        "--json",
      ],
      {
        cwd: dir,
      },
    );
    expect(v.stderr).toBe("");
    const out = JSON.parse(v.stdout);
    expect(out.chains[0].usage.generatedTokens).toBeGreaterThan(0);
  });

  it("a checkpoint folder given as --model is converted once into the cache", async () => {
    const dir = workdir({ "in.jsonl": jsonl(record) });
    await cli(["dev", "make-model", "--kind", "hf-tiny", "-o", "ckpt"], { cwd: dir });
    const env = { THINKPRM_CACHE: join(dir, "cache") };
    const args = [
      "verify",
      "-q",
      "-m",
      "ckpt",
      "--threads",
      "1",
      "--max-tokens",
      "4",
      "-i",
      "in.jsonl",
      "--json",
    ];
    const first = await cli(args, { cwd: dir, env });
    expect(first.stderr).toMatch(/converting .*ckpt to .*q8_0\.gguf \(q8_0\), once/);
    const second = await cli(args, { cwd: dir, env });
    expect(second.stderr).toBe("");
    expect(second.code).toBe(first.code);
  });

  it("convert fails clearly on a folder that is not a checkpoint", async () => {
    const r = await cli(["convert", ".", "-o", "x.gguf"], { cwd: workdir({}) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no config.json/);
  });
});

describe("thinkprm grade", () => {
  it("writes one line per input with the verdict and both normal forms", async () => {
    const r = await cli(["grade", "--summary"], {
      stdin: jsonl(
        { gold: "\\frac{1}{2}", pred: "The final answer is $0.5$.", id: 7 },
        { gold: "3", pred: "4" },
      ),
    });
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out[0]).toEqual({
      gold: "\\frac{1}{2}",
      pred: "The final answer is $0.5$.",
      id: 7,
      equivalent: true,
      gold_norm: "\\frac{1}{2}",
      pred_norm: "0.5",
    });
    expect(out[1].equivalent).toBe(false);
    expect(r.stderr).toBe("1 of 2 equivalent\n");
    const bad = await cli(["grade"], { stdin: '{"gold": "1"}' });
    expect(bad.stderr).toContain('<stdin>:1: field "pred"');
  });
});
