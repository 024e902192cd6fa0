/**
 * A model file's content digest, computed once and remembered by path + size + mtime: the cache
 * identity of a local model. A retrained model written over the same path gets a new digest, so
 * the run store never answers with the old model's chains.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

interface Memo {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** sha256 of a file, streamed in 8 MiB blocks (models are gigabytes). */
export function sha256OfFile(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(8 * 2 ** 20);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/**
 * The digest of `path`, from `memoDir` when the file's size and mtime are unchanged since it was
 * last computed. One memo file per model path, written atomically (tmp + rename), so concurrent
 * processes never read half a memo.
 */
export function fileDigest(path: string, memoDir: string | undefined): string {
  const full = resolve(path);
  const st = statSync(full);
  const memoPath = memoDir
    ? join(memoDir, `${createHash("sha256").update(full).digest("hex").slice(0, 32)}.json`)
    : undefined;
  if (memoPath) {
    try {
      const memo = JSON.parse(readFileSync(memoPath, "utf8")) as Memo;
      if (memo.path === full && memo.size === st.size && memo.mtimeMs === st.mtimeMs) return memo.sha256;
    } catch {
      // no memo yet, or unreadable: compute
    }
  }
  const sha256 = sha256OfFile(full);
  if (memoPath) {
    try {
      mkdirSync(memoDir!, { recursive: true });
      const memo: Memo = { path: full, size: st.size, mtimeMs: st.mtimeMs, sha256 };
      const tmp = `${memoPath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(memo));
      renameSync(tmp, memoPath);
    } catch {
      // a read-only cache folder only costs a recomputation next time
    }
  }
  return sha256;
}
