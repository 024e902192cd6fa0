/**
 * Exit codes and failure messages (README "Exit codes"): an engine that fails — at start or on
 * items — exits 1, bad input 2. A failure that a retry may cure says "run the same command again";
 * one that will fail the same way (a 400, a prompt past the context, a script with no reply for
 * the prompt) says so, and what to change.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, workdir } from "./run-cli.js";

const CHAIN = "Step 1: fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes";
const jsonl = (n: number) =>
  `${Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, problem: `P${i}`, steps: ["a"] })).join("\n")}\n`;

/** A server that lists a model and answers every completion with vLLM's 400 for a prompt past the context. */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url?.endsWith("/models")) return res.end(JSON.stringify({ data: [{ id: "m" }] }));
    res.statusCode = 400;
    res.end(
      JSON.stringify({
        error: {
          message:
            "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens. Please reduce the length of the messages or completion.",
          type: "BadRequestError",
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
});
afterAll(() => server.close());

describe("exit codes", () => {
  it("an engine that cannot be reached at start exits 1 (the engine's fault), a bad flag or file 2", async () => {
    const down = await cli(["verify", "-e", "openai:http://127.0.0.1:1/v1", "--problem", "p", "--step", "a"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^error: could not list the models of http:\/\/127\.0\.0\.1:1\/v1: .*is the server running\?/,
    );
    expect(down.stderr).not.toMatch(/\n\s+at /);
    const noScript = await cli(["verify", "-e", "scripted:absent.json", "--problem", "p", "--step", "a"], {
      cwd: workdir({}),
    });
    expect(noScript.code).toBe(2);
    expect(noScript.stderr).toContain("script file not found: absent.json");
  });
});

describe("failures that will fail again say why, and what to change", () => {
  it("a scripted engine with no reply for the prompt", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({ rules: [{ when: "never in any prompt", reply: CHAIN }] }),
      "in.jsonl": jsonl(2),
    });
    const r = await cli(["verify", "-e", "scripted:s.json", "-i", "in.jsonl", "-q"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'q0: failed (other, a rerun fails the same way): s.json: no rule matches this prompt and "replies" is empty',
    );
    expect(r.stdout).toContain(
      "0 verified, 0 scored, 0 unscored, 0 invalid chains, 2 failed (engine errors; 2 will fail the same way again (other): see the reason above and change what it names (the input, the settings, the engine or its script))",
    );
    expect(r.stdout).not.toContain("run the same command again");
  });

  it("an HTTP 400 for a prompt past the context, in verify and eval processbench (--json records say so too)", async () => {
    const dir = workdir({ "in.jsonl": jsonl(2) });
    const r = await cli(["verify", "-e", `openai:${url}`, "-i", "in.jsonl", "-q"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^q0: failed \(bad_request, a rerun fails the same way\): \S+ answered 400: /m);
    expect(r.stdout).toContain(
      "2 failed (engine errors; 2 will fail the same way again (bad_request): the prompt does not fit the model's context: raise --context-size (llama-cpp) or the server's maximum model length, or lower --max-tokens)",
    );
    const json = await cli(["verify", "-e", `openai:${url}`, "-i", "in.jsonl", "-q", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout.split("\n")[0]!)).toMatchObject({
      id: "q0",
      failed: true,
      error: { code: "bad_request", failsAgain: true },
    });

    const data = workdir({
      "gsm8k.json": JSON.stringify([{ id: "g-0", problem: "1+1?", steps: ["2"], label: -1 }]),
    });
    const pb = await cli(
      ["eval", "processbench", "-e", `openai:${url}`, "--subsets", "gsm8k", "--data-dir", data, "-q"],
      { cwd: dir },
    );
    expect(pb.code).toBe(1);
    expect(pb.stdout).toContain(
      "1 items failed for engine reasons and are not in the metrics; 1 will fail the same way again (bad_request): the prompt does not fit",
    );
  });

  it("a failure a retry may cure (a per-item timeout) still says to run the command again", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({
        replies: [CHAIN],
        probabilities: { " Yes": 0.9, " No": 0.1 },
        latencyMs: 3000,
      }),
      "in.jsonl": jsonl(1),
    });
    const r = await cli(
      ["verify", "-e", "scripted:s.json", "-i", "in.jsonl", "-q", "--request-timeout", "1"],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^q0: failed \(timeout\): the item took longer than 1000 ms/m);
    expect(r.stdout).toContain("1 failed (engine errors; run the same command again to retry them)");
  });
});
