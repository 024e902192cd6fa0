// The sandbox's limits, proven with hostile programs. Every test runs real Python in a real
// bubblewrap sandbox; the suite is skipped (with the reason printed) only where the sandbox cannot
// run (no bwrap, no user namespaces). The attacks of issue #13 are in sandbox-attacks.test.ts.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPythonSandboxed, type SandboxLimits, sandboxUnavailable } from "../../src/grading/sandbox.js";
import { REPO_ROOT } from "../helpers.js";

const unavailable = sandboxUnavailable();
if (unavailable) console.warn(`sandbox tests skipped: ${unavailable}`);
const LIMITS: SandboxLimits = {
  wallMs: 5000,
  cpuSeconds: 1,
  memoryMb: 256,
  outputBytes: 64 * 1024,
  processes: 16,
};
const run = (code: string, stdin = "", limits = LIMITS) =>
  runPythonSandboxed([{ name: "main.py", content: code }], stdin, limits);
const processesMatching = (needle: string) =>
  execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(needle));

describe.skipIf(unavailable !== null)("the Python sandbox", () => {
  it("runs a program with its input in a private tmpfs folder the host never sees", async () => {
    const scratch = `scratch-${process.pid}-${Date.now()}.txt`;
    const r = await run(
      [
        "import os",
        "n = int(input())",
        "print(n * 2)",
        "print(os.getcwd())",
        `open(${JSON.stringify(scratch)}, 'w').write('ok')`,
        "print([l.split()[8] for l in open('/proc/self/mountinfo') if l.split()[4] == '/tmp'][0])",
      ].join("\n"),
      "21\n",
    );
    expect(r.status).toBe("ok");
    const [doubled, cwd, fsType] = r.stdout.trim().split("\n");
    expect(doubled).toBe("42");
    expect(cwd).toBe("/tmp/work");
    expect(fsType).toBe("tmpfs");
    expect(existsSync(join(cwd!, scratch))).toBe(false);
    expect(readdirSync(tmpdir()).filter((e) => e.includes(scratch))).toEqual([]);
  }, 20_000);

  it("the standard library works in the minimal root (native modules, processes, temp files, pickle)", async () => {
    const code = [
      "import bz2, ctypes, decimal, hashlib, lzma, multiprocessing, pickle, sqlite3, subprocess, sys, tempfile, uuid",
      "assert hashlib.sha256(b'x').hexdigest().startswith('2d711642')",
      "assert sqlite3.connect(':memory:').execute('select 1 + 1').fetchone() == (2,)",
      "assert lzma.decompress(lzma.compress(b'a')) == b'a' and bz2.decompress(bz2.compress(b'a')) == b'a'",
      "assert ctypes.c_int(3).value == 3 and str(decimal.Decimal(1) / 8) == '0.125' and uuid.uuid4()",
      "with tempfile.TemporaryFile() as f:",
      "    f.write(b'x')",
      "with multiprocessing.Pool(2) as pool:",
      "    assert pool.map(abs, [-1, -2]) == [1, 2]",
      "assert subprocess.run([sys.executable, '-c', 'print(7)'], capture_output=True).stdout == b'7\\n'",
      "class Point:",
      "    pass",
      "assert type(pickle.loads(pickle.dumps(Point()))) is Point",
      "print('ok')",
    ].join("\n");
    const r = await run(code);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
  }, 20_000);

  it("an infinite loop is stopped by the CPU limit", async () => {
    const r = await run("while True:\n    pass");
    expect(r.status).toBe("timeout");
    expect(r.wallMs).toBeLessThan(LIMITS.wallMs);
  }, 20_000);

  it("a sleeping program is stopped at the wall-time limit", async () => {
    const r = await run("import time\ntime.sleep(60)", "", { ...LIMITS, wallMs: 1500 });
    expect(r.status).toBe("timeout");
    expect(r.wallMs).toBeLessThan(4000);
  }, 20_000);

  it("a fork bomb is contained and leaves no process behind", async () => {
    const bomb =
      "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)";
    // a distinctive file name, so `ps` finds the bomb's processes (all run `python3 … forkbomb.py`)
    const r = await runPythonSandboxed(
      [{ name: "forkbomb.py", content: bomb }],
      "",
      { ...LIMITS, wallMs: 2000 },
      { entry: "forkbomb.py" },
    );
    expect(r.status).toBe("timeout");
    await new Promise((done) => setTimeout(done, 300));
    expect(processesMatching("forkbomb.py")).toEqual([]);
  }, 20_000);

  it("a process that detaches (setsid) does not outlive the program", async () => {
    const r = await run(
      "import os\nif os.fork() == 0:\n    os.setsid()\n    os.execv('/bin/sleep', ['sleep', '97531'])\nprint('parent exits')",
    );
    expect(r.stdout).toBe("parent exits\n");
    await new Promise((done) => setTimeout(done, 300));
    expect(processesMatching("sleep 97531")).toEqual([]);
  }, 20_000);

  describe("network", () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end("reached");
    });
    beforeAll(() => new Promise<void>((done) => server.listen(0, "127.0.0.1", done)));
    afterAll(() => new Promise<void>((done) => server.close(() => done())));

    it("cannot reach a server on the host's loopback, nor resolve names", async () => {
      const port = (server.address() as AddressInfo).port;
      const r = await run(
        `import socket, urllib.request\ntry:\n    print(urllib.request.urlopen('http://127.0.0.1:${port}/', timeout=2).read())\nexcept Exception as e:\n    print('blocked', type(e).__name__)\ntry:\n    socket.getaddrinfo('registry.npmjs.org', 443)\n    print('resolved')\nexcept Exception as e:\n    print('no dns', type(e).__name__)`,
      );
      expect(r.stdout).toMatch(/^blocked \w+\nno dns \w+\n$/);
      expect(hits).toBe(0);
    }, 20_000);
  });

  it("hides the host's /tmp without being told (a project checked out there)", async () => {
    const secretDir = mkdtempSync(join(tmpdir(), "thinkprm-secret-"));
    writeFileSync(join(secretDir, "secret.txt"), "s3cret");
    const code = `try:\n    print(open(${JSON.stringify(join(secretDir, "secret.txt"))}).read())\nexcept OSError as e:\n    print('unreadable', e.errno)`;
    const r = await run(code);
    rmSync(secretDir, { recursive: true });
    expect(r.stdout).toBe("unreadable 2\n");
  }, 20_000);

  it("cannot write to the host, nor read the project or home", async () => {
    const stamp = `${process.pid}-${Date.now()}`;
    // folders of the host: not in the sandbox at all, or read-only
    const shared = [
      join(REPO_ROOT, `escape-${stamp}`),
      join(homedir(), `escape-${stamp}`),
      `/var/tmp/escape-${stamp}`,
    ];
    // the sandbox's own /tmp and /dev/shm are private tmpfs: writable inside, invisible outside
    const privateTargets = [
      join(tmpdir(), `escape-${stamp}`),
      `/dev/shm/escape-${stamp}`,
      `../escape-${stamp}`,
    ];
    const code = [
      "import os",
      `for path in ${JSON.stringify([...shared, ...privateTargets])}:`,
      "    try:",
      "        open(path, 'w').write('x')",
      "        print('WROTE', path)",
      "    except OSError as e:",
      "        print('refused', e.errno)",
      "try:",
      `    print(open(${JSON.stringify(join(REPO_ROOT, "package.json"))}).read()[:10])`,
      "except OSError as e:",
      "    print('unreadable', e.errno)",
    ].join("\n");
    const r = await run(code);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, shared.length).every((l) => l.startsWith("refused"))).toBe(true);
    expect(lines.at(-1)).toMatch(/^unreadable/);
    for (const t of [...shared, ...privateTargets.slice(0, 2), join(tmpdir(), `escape-${stamp}`)])
      expect(existsSync(t)).toBe(false);
  }, 20_000);

  it("huge output is cut off, and memory is capped", async () => {
    const out = await run("while True:\n    print('x' * 10000)");
    expect(out.status).toBe("output_limit");
    expect(out.stdout.length).toBeLessThanOrEqual(LIMITS.outputBytes);
    const mem = await run("block = bytearray(2 * 1024 * 1024 * 1024)");
    expect(mem.status).toBe("memory");
  }, 20_000);

  it("a program cannot forge its exit status", async () => {
    const r = await run(
      "import os, sys\ntry:\n    os.write(3, b'0\\n')\nexcept OSError:\n    pass\nsys.exit(7)",
    );
    expect(r).toMatchObject({ status: "runtime_error", exitCode: 7 });
  }, 20_000);

  it("the grader's death takes its sandboxes with it (--die-with-parent)", async () => {
    const stamp = `orphan-${process.pid}-${Date.now()}`;
    const grader = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "--input-type=module", "-e"],
        `import { runPythonSandboxed } from "./src/grading/sandbox.ts";
const code = "import os, sys\\nos.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '${stamp}'])";
void runPythonSandboxed([{ name: "main.py", content: code }], "", { ...${JSON.stringify(LIMITS)}, wallMs: 60000 });`,
      ],
      { cwd: REPO_ROOT, stdio: "ignore" },
    );
    for (let i = 0; i < 200 && processesMatching(stamp).length === 0; i++)
      await new Promise((done) => setTimeout(done, 50));
    expect(processesMatching(stamp)).toHaveLength(1);
    grader.kill("SIGKILL");
    await new Promise((done) => setTimeout(done, 1000));
    expect(processesMatching(stamp)).toEqual([]);
  }, 30_000);

  it("fails closed, with the reason, where it cannot build a sandbox (no user namespaces)", () => {
    // the grader inside a bwrap that forbids further user namespaces, as an ordinary uid
    const r = spawnSync(
      "bwrap",
      [
        ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"],
        // the checkout again, in case it lives under /tmp (a clone there would be hidden)
        ...["--ro-bind", REPO_ROOT, REPO_ROOT],
        ...["--unshare-user", "--uid", "1234", "--gid", "1234", "--unshare-pid", "--disable-userns"],
        ...[process.execPath, "--import", "tsx", "--input-type=module", "-e"],
        `import { runPythonSandboxed, sandboxUnavailable } from "./src/grading/sandbox.ts";
console.log(sandboxUnavailable());
try {
  await runPythonSandboxed([{ name: "main.py", content: "print('RAN')" }], "");
} catch (e) {
  console.log(e.name, e.code);
}`,
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    const [why, error] = r.stdout.trim().split("\n");
    expect(why).toMatch(/^bwrap cannot build the sandbox: bwrap: Creating new namespace failed/);
    expect(error).toBe("SandboxError unavailable");
    expect(r.stdout).not.toContain("RAN");
  }, 30_000);

  it("refuses file names that are not plain names, and limits that are not positive", async () => {
    for (const name of ["../main.py", "a/b.py", ".hidden", ""])
      await expect(runPythonSandboxed([{ name, content: "" }], "", LIMITS, { entry: name })).rejects.toThrow(
        /bad sandbox files/,
      );
    for (const bad of [{ memoryMb: Number.NaN }, { processes: 0 }, { wallMs: -1 }])
      await expect(
        runPythonSandboxed([{ name: "main.py", content: "" }], "", { ...LIMITS, ...bad }),
      ).rejects.toThrow(/limits must be positive/);
  });

  it.skipIf(process.arch !== "x64")(
    "the kernel keyring (not namespaced), bpf and io_uring are refused; outside they are not",
    async () => {
      const code = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for name, nr, args in [('keyctl', 250, (0, -3, 0)), ('add_key', 248, (b'user', b'k', b'v', 1, -3)),
                       ('bpf', 321, (0, 0, 0)), ('io_uring_setup', 425, (1, 0)), ('getppid', 110, ())]:
    r = libc.syscall(nr, *args)
    print(name, 'ok' if r >= 0 else 'refused' if ctypes.get_errno() == 1 else 'error')`;
      const inside = await run(code);
      expect(inside.stdout).toBe(
        "keyctl refused\nadd_key refused\nbpf refused\nio_uring_setup refused\ngetppid ok\n",
      );
      // the same calls on the host: none is refused with EPERM (the filter makes the difference)
      const outside = spawnSync(
        "python3",
        ["-c", code.replace("(b'user', b'k', b'v', 1, -3)", "(0, 0, 0, 0, 0)")],
        {
          encoding: "utf8",
        },
      );
      expect(outside.stdout).not.toContain("refused");
    },
    20_000,
  );
});
