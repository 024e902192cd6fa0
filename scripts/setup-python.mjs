#!/usr/bin/env node
// `npm run setup:python`: the Python side the training and conversion tests need, set up once.
//   1. `.venv/` (git-ignored) with CPU torch, transformers, peft, accelerate, trl, datasets and the
//      packages llama.cpp's converter imports, pinned to the versions the tests were written against;
//   2. llama.cpp's own source (convert_hf_to_gguf.py + gguf-py), cloned from the git bundle that
//      node-llama-cpp ships, into a cache folder outside the clone (~/.cache/thinkprm/llama.cpp-<commit>).
// Idempotent: when `.venv/thinkprm-setup.json` records the same requirements and both exist, it
// returns at once. Packages come from this machine's local wheel indexes when they exist
// (/opt/pypi/simple, /opt/pypi-more/simple, /opt/wheels), otherwise from pip's configured index;
// THINKPRM_PIP_ARGS replaces that choice (e.g. "--index-url https://pypi.org/simple").
// THINKPRM_PYTHON picks the interpreter that makes the venv (default python3, ≥ 3.10).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const VENV = process.env.THINKPRM_VENV ? resolve(process.env.THINKPRM_VENV) : join(ROOT, ".venv");
const STAMP = join(VENV, "thinkprm-setup.json");
const BUNDLE = join(ROOT, "node_modules/node-llama-cpp/llama/gitRelease.bundle");

// The versions the tests were written against (the newest in the local indexes). llama.cpp's
// converter needs numpy, sentencepiece, safetensors, protobuf and gguf-py's pyyaml/tqdm/requests.
const REQUIREMENTS = [
  "torch==2.13.0",
  "transformers==5.18.0",
  "peft==0.21.0",
  "accelerate==1.15.0",
  "trl==1.13.0",
  "datasets==5.0.1",
  "numpy==2.4.6",
  "safetensors==0.8.0",
  "sentencepiece==0.2.2",
  "protobuf",
  "pyyaml",
  "tqdm",
  "requests",
];

const cacheDir =
  process.env.THINKPRM_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "thinkprm");

function fail(message) {
  console.error(`setup:python: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...options });
  if (r.error) return { status: 127, stdout: "", stderr: String(r.error.message) };
  return r;
}

function pipSourceArgs() {
  if (process.env.THINKPRM_PIP_ARGS !== undefined)
    return process.env.THINKPRM_PIP_ARGS.split(/\s+/).filter(Boolean);
  if (!existsSync("/opt/pypi/simple")) return []; // pip's own configuration (a normal machine with internet)
  const args = ["--index-url", "file:///opt/pypi/simple"];
  if (existsSync("/opt/pypi-more/simple")) args.push("--extra-index-url", "file:///opt/pypi-more/simple");
  if (existsSync("/opt/wheels")) args.push("--find-links", "/opt/wheels");
  return args;
}

function bundleCommit() {
  if (!existsSync(BUNDLE))
    fail(`${BUNDLE} is missing; run npm ci first (node-llama-cpp ships llama.cpp's source)`);
  const r = run("git", ["bundle", "list-heads", BUNDLE]);
  if (r.status !== 0) fail(`git cannot read ${BUNDLE} (${r.stderr.trim()}); install git`);
  const commit = r.stdout.split(/\s/)[0];
  if (!/^[0-9a-f]{40}$/.test(commit ?? "")) fail(`no commit in ${BUNDLE}`);
  return commit;
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(STAMP, "utf8"));
  } catch {
    return null;
  }
}

const venvPython = join(VENV, "bin", "python");
const commit = bundleCommit();
const llamaCppDir = join(cacheDir, `llama.cpp-${commit.slice(0, 12)}`);
const stamp = readStamp();
const upToDate =
  stamp &&
  JSON.stringify(stamp.requirements) === JSON.stringify(REQUIREMENTS) &&
  stamp.llamaCppDir === llamaCppDir &&
  existsSync(venvPython) &&
  existsSync(join(llamaCppDir, "convert_hf_to_gguf.py"));
if (upToDate) {
  console.log(`setup:python: up to date (${VENV}, ${llamaCppDir})`);
  process.exit(0);
}

// 1. llama.cpp's source, cloned once per commit; a half-written clone never gets the final name
if (!existsSync(join(llamaCppDir, "convert_hf_to_gguf.py"))) {
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${llamaCppDir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  console.log(
    `setup:python: cloning llama.cpp ${commit.slice(0, 12)} from node-llama-cpp's bundle into ${llamaCppDir}`,
  );
  const r = run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", BUNDLE, tmp]);
  if (r.status !== 0) fail(`git clone of ${BUNDLE} failed: ${r.stderr.trim()}`);
  rmSync(llamaCppDir, { recursive: true, force: true });
  renameSync(tmp, llamaCppDir);
}

// 2. the venv
if (!existsSync(venvPython)) {
  const python = process.env.THINKPRM_PYTHON || "python3";
  const version = run(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
  if (version.status !== 0) fail(`${python} not found; install Python ≥ 3.10 or set THINKPRM_PYTHON`);
  const [major, minor] = version.stdout.trim().split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 10)) fail(`${python} is ${version.stdout.trim()}; need ≥ 3.10`);
  console.log(`setup:python: creating ${VENV} with ${python} ${version.stdout.trim()}`);
  const r = run(python, ["-m", "venv", VENV], { stdio: "inherit" });
  if (r.status !== 0) fail(`${python} -m venv ${VENV} failed (on Debian: apt-get install python3-venv)`);
}
const source = pipSourceArgs();
console.log(`setup:python: pip install ${REQUIREMENTS.join(" ")} ${source.join(" ")}`);
const started = Date.now();
const pip = run(
  venvPython,
  [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--progress-bar",
    "off",
    "-q",
    ...source,
    ...REQUIREMENTS,
  ],
  { env: { ...process.env, PIP_DEFAULT_TIMEOUT: "30" } },
);
// the local extra index lists packages it does not hold; pip warns once per lookup
const noise = /is ignored: it is neither a file nor a directory/;
const output = `${pip.stdout}${pip.stderr}`
  .split("\n")
  .filter((l) => l.trim() && !noise.test(l))
  .join("\n");
if (output) console.log(output);
if (pip.status !== 0)
  fail(
    `pip install failed (exit ${pip.status}). Offline machines need local wheel indexes (/opt/pypi/simple) or THINKPRM_PIP_ARGS naming one; remove ${VENV} to start again`,
  );
console.log(`setup:python: installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);

writeFileSync(
  STAMP,
  `${JSON.stringify({ requirements: REQUIREMENTS, python: venvPython, llamaCppDir, llamaCppCommit: commit }, null, 2)}\n`,
);
console.log(`setup:python: done (${VENV}, ${llamaCppDir})`);
