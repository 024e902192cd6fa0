/**
 * Downloads from a Hugging Face hub (or any server with its URL layout: `HF_ENDPOINT`):
 * `GET {endpoint}/api/models/{repo}/tree/{revision}` lists files with sizes and LFS sha256, and
 * `GET {endpoint}/{repo}/resolve/{revision}/{file}` serves them. Files land in the cache directory;
 * an interrupted download resumes from its `.part` file with an HTTP Range request; sizes and
 * hashes are checked before a file is moved into place.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ModelSettings } from "../settings.js";

export class HubError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HubError";
  }
}

export interface HubFile {
  path: string;
  size: number;
  /** sha256 of the content, when the hub gives it (LFS files). */
  sha256?: string;
}

export interface DownloadProgress {
  file: string;
  received: number;
  total: number;
}

const offlineHelp = (settings: ModelSettings, what: string) =>
  `cannot reach ${settings.hfEndpoint} to fetch ${what}. Without network, download the model elsewhere and pass a local path (--model ./model.gguf or a checkpoint folder), or set HF_ENDPOINT to a reachable mirror`;

async function hubFetch(
  settings: ModelSettings,
  url: string,
  what: string,
  init: RequestInit = {},
): Promise<Response> {
  if (settings.offline)
    throw new HubError(`HF_HUB_OFFLINE is set, so ${what} cannot be fetched; pass a local path instead`);
  const headers = new Headers(init.headers);
  if (settings.hfToken) headers.set("authorization", `Bearer ${settings.hfToken}`);
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new HubError(offlineHelp(settings, what), { cause: error });
  }
  if (res.status === 401 || res.status === 403) {
    throw new HubError(
      `${url} answered ${res.status}: the repository is gated or private; set HF_TOKEN to a token that may read it`,
    );
  }
  if (res.status === 404)
    throw new HubError(`${url} answered 404: check the repository id, revision and file name`);
  if (!res.ok && res.status !== 206) throw new HubError(`${url} answered ${res.status} ${res.statusText}`);
  return res;
}

/** The files of a repository at a revision. */
export async function listHubFiles(
  settings: ModelSettings,
  repo: string,
  revision = "main",
): Promise<HubFile[]> {
  const url = `${settings.hfEndpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}`;
  const res = await hubFetch(settings, url, `the file list of ${repo}`);
  const body = (await res.json()) as {
    type: string;
    path: string;
    size: number;
    lfs?: { oid?: string; sha256?: string; size?: number };
  }[];
  return body
    .filter((f) => f.type === "file")
    .map((f) => {
      const file: HubFile = { path: f.path, size: f.lfs?.size ?? f.size };
      const sha = f.lfs?.sha256 ?? f.lfs?.oid;
      if (sha) file.sha256 = sha;
      return file;
    });
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/**
 * Downloads one file into `dest` (resuming a `.part` left by an interrupted run), checks its size
 * and hash, and returns its path. A complete file already at `dest` is not fetched again.
 */
export async function downloadHubFile(
  settings: ModelSettings,
  repo: string,
  file: HubFile,
  dest: string,
  options: { revision?: string; onProgress?: (p: DownloadProgress) => void } = {},
): Promise<string> {
  if (existsSync(dest) && statSync(dest).size === file.size) return dest;
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > file.size) {
    rmSync(part);
    have = 0;
  }
  const url = `${settings.hfEndpoint}/${repo}/resolve/${encodeURIComponent(options.revision ?? "main")}/${file.path}`;
  if (have < file.size) {
    const res = await hubFetch(
      settings,
      url,
      `${repo}/${file.path}`,
      have > 0 ? { headers: { range: `bytes=${have}-` } } : {},
    );
    const resumed = res.status === 206;
    if (!resumed) have = 0; // the server ignored the range: start over
    // chunks go to disk as they arrive, so a broken connection leaves every received byte for the resume
    const fd = openSync(part, resumed ? "a" : "w");
    let received = have;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        writeSync(fd, chunk);
        received += chunk.length;
        options.onProgress?.({ file: file.path, received, total: file.size });
      }
    } catch (error) {
      throw new HubError(
        `the download of ${repo}/${file.path} broke off at ${received} of ${file.size} bytes; run the command again to resume`,
        {
          cause: error,
        },
      );
    } finally {
      closeSync(fd);
    }
  }
  const size = statSync(part).size;
  if (size !== file.size) {
    throw new HubError(
      `${repo}/${file.path}: got ${size} bytes, expected ${file.size}; run the command again to resume`,
    );
  }
  if (file.sha256) {
    const got = await sha256Of(part);
    if (got !== file.sha256) {
      rmSync(part);
      throw new HubError(
        `${repo}/${file.path}: sha256 ${got} does not match the hub's ${file.sha256}; the partial file was removed, run again`,
      );
    }
  }
  renameSync(part, dest);
  return dest;
}

/** Where a repository's files are cached. */
export function repoCacheDir(settings: ModelSettings, repo: string, revision = "main"): string {
  return join(settings.cacheDir, "hub", ...repo.split("/"), revision);
}
