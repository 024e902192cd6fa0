import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeTestCases, unpickleString } from "../../src/datasets/livecodebench.js";
import { extractProgram, gradeProgram, outputsMatch } from "../../src/grading/code.js";
import { sandboxUnavailable } from "../../src/grading/sandbox.js";

describe("programs in completions", () => {
  it("takes the last python block, else the last fenced block", () => {
    expect(extractProgram("Plan.\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2)\n```\n")).toBe(
      "print(2)",
    );
    expect(extractProgram("```\nx = 1\n```")).toBe("x = 1");
    expect(extractProgram("```py\nprint(3)\n```\n```text\noutput\n```")).toBe("print(3)");
    expect(extractProgram("no code here")).toBeNull();
    expect(extractProgram("```python\n\n```")).toBeNull();
  });

  it("compares outputs by trimmed lines, numbers by value", () => {
    expect(outputsMatch("1 2\n3  \n\n", "1 2\n3")).toBe(true);
    expect(outputsMatch("1.50\n", "1.5")).toBe(true);
    expect(outputsMatch("1.5\n", "1.6")).toBe(false);
    expect(outputsMatch("YES", "yes")).toBe(false);
    expect(outputsMatch("1 2 3", "1 2")).toBe(false);
  });
});

describe("LiveCodeBench test cases", () => {
  it("reads JSON strings and the released base64 + zlib + pickle encoding", () => {
    const tests = [{ input: "1 2\n", output: "3\n", testtype: "stdin" }];
    expect(decodeTestCases(JSON.stringify(tests))).toEqual(tests);
    // pickle.dumps(json_string) at protocol 4: PROTO 4, FRAME, SHORT_BINUNICODE, MEMOIZE, STOP
    const json = Buffer.from(JSON.stringify(tests));
    const frame = Buffer.concat([Buffer.from([0x8c, json.length]), json, Buffer.from([0x94, 0x2e])]);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(frame.length));
    const pickled = Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), size, frame]);
    expect(unpickleString(pickled)).toBe(JSON.stringify(tests));
    expect(decodeTestCases(deflateSync(pickled).toString("base64"))).toEqual(tests);
    expect(() => unpickleString(Buffer.from([0x80, 0x04, 0x7d, 0x2e]))).toThrow(
      /unsupported pickle opcode 0x7d/,
    );
  });
});

const unavailable = sandboxUnavailable();
describe.skipIf(unavailable !== null)("grading programs in the sandbox", () => {
  const stdinTests = [
    { input: "1 2\n", output: "3\n", testtype: "stdin" as const },
    { input: "10 -4\n", output: "6\n", testtype: "stdin" as const },
  ];

  it("passes a correct program, fails a wrong one, reports timeouts and errors per test", async () => {
    expect((await gradeProgram("a, b = map(int, input().split())\nprint(a + b)", stdinTests)).passed).toBe(
      true,
    );
    const wrong = await gradeProgram("a, b = map(int, input().split())\nprint(a - b)", stdinTests, {
      stopAtFirstFailure: false,
    });
    expect(wrong.passed).toBe(false);
    expect(wrong.tests.map((t) => t.status)).toEqual(["fail", "fail"]);
    const slow = await gradeProgram("while True: pass", stdinTests.slice(0, 1), {
      limits: { wallMs: 4000, cpuSeconds: 1, memoryMb: 256, outputBytes: 1 << 16, processes: 8 },
    });
    expect(slow.tests[0]!.status).toBe("timeout");
    const crash = await gradeProgram("raise SystemExit(input() + undefined_name)", stdinTests.slice(0, 1));
    expect(crash.tests[0]).toMatchObject({ status: "runtime_error" });
    expect(crash.tests[0]!.detail).toContain("NameError");
    expect(await gradeProgram(null, stdinTests)).toEqual({ passed: false, tests: [] });
  }, 40_000);

  it("functional tests call Solution().<func_name> with the JSON lines of the input", async () => {
    const tests = [
      { input: "[2, 7, 11, 15]\n9", output: "[0, 1]", testtype: "functional" as const },
      { input: "[3, 3]\n6", output: "[0, 1]", testtype: "functional" as const },
    ];
    const good =
      "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i";
    expect((await gradeProgram(good, tests, { funcName: "twoSum" })).passed).toBe(true);
    const bad = "class Solution:\n    def twoSum(self, nums, target):\n        return [0, 0]";
    expect((await gradeProgram(bad, tests, { funcName: "twoSum" })).passed).toBe(false);
    // a hostile func_name cannot rewrite the driver into reporting a pass
    const hostile = 'twoSum(*args)\nprint("ok")\nimport sys; sys.exit(0)\n#';
    const r = await gradeProgram(bad, tests, { funcName: hostile });
    expect(r.passed).toBe(false);
    expect(r.tests[0]).toMatchObject({
      status: "runtime_error",
      detail: expect.stringContaining("is not a Python identifier"),
    });
  }, 40_000);
});
