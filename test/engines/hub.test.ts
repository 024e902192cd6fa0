/**
 * A real HTTP server on 127.0.0.1 serving a tiny checkpoint in the Hugging Face hub's URL layout:
 * download, resume after a broken connection, hash checks, convert on first use, offline errors.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { HubError } from "../../src/engines/llama-cpp/hub.js";
import { resolveModel } from "../../src/engines/llama-cpp/model-source.js";
import {
  makeCheckpointTwinGguf,
  writeHfTinyCheckpoint,
} from "../../src/engines/llama-cpp/test-checkpoint.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { modelSettingsFromEnv } from "../../src/engines/settings.js";

const root = mkdtempSync(join(tmpdir(), "thinkprm-hub-"));
const repoDir = join(root, "repo");
const files = writeHfTinyCheckpoint(repoDir);
writeFileSync(join(repoDir, "tiny-q8.gguf"), makeTinyModel(3));
files.push("tiny-q8.gguf");
const sha = (f: string) =>
  createHash("sha256")
    .update(readFileSync(join(repoDir, f)))
    .digest("hex");

const requests: { url: string; range?: string }[] = [];
let breakNext: string | null = null; // a file whose next download is cut off half way
let corrupt: string | null = null;
let server: Server;
let endpoint = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "";
    requests.push({ url, ...(req.headers.range ? { range: req.headers.range } : {}) });
    if (url === "/api/models/launch/Tiny-PRM/tree/main") {
      const list = files.map((f) => {
        const size = readFileSync(join(repoDir, f)).length;
        const lfs = f.endsWith(".safetensors") || f.endsWith(".gguf");
        return { type: "file", path: f, size, ...(lfs ? { lfs: { oid: sha(f), size } } : {}) };
      });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(list));
      return;
    }
    const m = url.match(/^\/launch\/Tiny-PRM\/resolve\/main\/(.+)$/);
    if (!m || !files.includes(m[1]!)) {
      res.writeHead(404).end("not found");
      return;
    }
    let body = readFileSync(join(repoDir, m[1]!));
    if (corrupt === m[1])
      body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body.at(-1)! ^ 1])]);
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    const start = range ? Number(range[1]) : 0;
    const chunk = body.subarray(start);
    res.writeHead(range ? 206 : 200, { "content-length": chunk.length, "accept-ranges": "bytes" });
    if (breakNext === m[1]) {
      breakNext = null;
      res.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => res.destroy());
      return;
    }
    res.end(chunk);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const settings = (cache: string) => modelSettingsFromEnv({ HF_ENDPOINT: endpoint, THINKPRM_CACHE: cache });

describe("models from a hub", () => {
  it("a repo id is downloaded (resuming a broken transfer), converted once, and loads", async () => {
    const cache = join(root, "cache1");
    breakNext = "model.safetensors";
    await expect(resolveModel("launch/Tiny-PRM", { settings: settings(cache), type: "f32" })).rejects.toThrow(
      /broke off.*run the command again to resume/,
    );
    const partial = join(cache, "hub/launch/Tiny-PRM/main/model.safetensors.part");
    expect(existsSync(partial)).toBe(true);
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    const before = requests.length;
    const statuses: string[] = [];
    const path = await resolveModel("launch/Tiny-PRM", {
      settings: settings(cache),
      type: "f32",
      onStatus: (s) => statuses.push(s),
    });
    // the second run asked only for the missing bytes of the broken file
    const retry = requests.slice(before).find((r) => r.url.endsWith("model.safetensors"));
    expect(retry?.range).toBe(`bytes=${kept}-`);
    expect(statuses.some((s) => s.startsWith("converting"))).toBe(true);
    expect(readdirSync(join(cache, "hub/launch/Tiny-PRM/main"))).toContain("model-f32.gguf");

    // the converted model computes exactly what the same weights written directly compute
    const twin = join(root, "twin.gguf");
    writeFileSync(twin, makeCheckpointTwinGguf());
    const probe = async (modelPath: string) => {
      const e = await LlamaCppEngine.create({
        modelPath,
        threads: 1,
        contextSize: 256,
        decisionProbabilities: "absolute",
      });
      const r = await e.nextTokenProbabilities("Is the solution correct?", [" Yes", " No"]);
      await e.close();
      return r.candidates.map((c) => c.logprob);
    };
    expect(await probe(path)).toEqual(await probe(twin));

    // cached: a second resolve makes no request at all
    const count = requests.length;
    expect(await resolveModel("launch/Tiny-PRM", { settings: settings(cache), type: "f32" })).toBe(path);
    expect(requests.length).toBe(count);
  });

  it("hf:<repo>/<file>.gguf downloads one file and checks its hash", async () => {
    const cache = join(root, "cache2");
    corrupt = "tiny-q8.gguf";
    await expect(
      resolveModel("hf:launch/Tiny-PRM/tiny-q8.gguf", { settings: settings(cache) }),
    ).rejects.toThrow(/sha256 .* does not match/);
    corrupt = null;
    const path = await resolveModel("hf:launch/Tiny-PRM/tiny-q8.gguf", { settings: settings(cache) });
    expect(readFileSync(path).equals(readFileSync(join(repoDir, "tiny-q8.gguf")))).toBe(true);
    await expect(
      resolveModel("hf:launch/Tiny-PRM/other.gguf", { settings: settings(cache) }),
    ).rejects.toThrow(/has no other.gguf; it has tiny-q8.gguf/);
  });

  it("offline: fails fast and says what to do", async () => {
    const unreachable = modelSettingsFromEnv({
      HF_ENDPOINT: "http://127.0.0.1:1",
      THINKPRM_CACHE: join(root, "c3"),
    });
    const t0 = Date.now();
    await expect(resolveModel("launch/ThinkPRM-1.5B", { settings: unreachable })).rejects.toThrow(
      /cannot reach http:\/\/127.0.0.1:1 .* pass a local path .* HF_ENDPOINT/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    const off = modelSettingsFromEnv({ HF_HUB_OFFLINE: "1", THINKPRM_CACHE: join(root, "c4") });
    await expect(resolveModel("launch/ThinkPRM-1.5B", { settings: off })).rejects.toBeInstanceOf(HubError);
    await expect(resolveModel("nope.gguf", { settings: off })).rejects.toThrow(
      /model file not found: nope.gguf/,
    );
  });
});
