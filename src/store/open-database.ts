/**
 * Opening a run store's SQLite file, with every way it can go wrong turned into a
 * `RunStoreError` that says what to do: garbage or another program's database, a damaged file,
 * a file or folder this user cannot write, a folder that cannot be created.
 *
 * Readers never write the store (SQLite refuses it: `query_only`, or a read-only open), so
 * `runs list`, `runs show`, `runs export` and `report` work on a store they cannot write. A store
 * this user can write is opened in place with `query_only` (so SQLite still removes its WAL files
 * on close, as after any command); one it cannot write is opened read-only, and — since WAL mode
 * needs a writable folder even to read (its shared-memory file lives beside the store) — one in a
 * folder it cannot write is read from a temporary copy.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { RunStoreError, storeErrorFor } from "./store-errors.js";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  command TEXT NOT NULL,
  config_json TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT,
  items_done INTEGER NOT NULL DEFAULT 0,
  items_total INTEGER,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  generated_tokens INTEGER NOT NULL DEFAULT 0,
  reused_tokens INTEGER NOT NULL DEFAULT 0,
  invalid INTEGER NOT NULL DEFAULT 0,
  elapsed_ms INTEGER NOT NULL DEFAULT 0,
  metrics_json TEXT
);
CREATE INDEX IF NOT EXISTS runs_config ON runs (config_hash, status);
CREATE TABLE IF NOT EXISTS results (
  run_id TEXT NOT NULL REFERENCES runs (id),
  item_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (run_id, item_key)
);
CREATE TABLE IF NOT EXISTS failures (
  run_id TEXT NOT NULL REFERENCES runs (id),
  item_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  error_json TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, item_key)
);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;

/** Columns added after the first stores were written: a store gains them in place when opened for writing. */
const LATER_COLUMNS = [
  ["state_json", "TEXT"],
  ["owner_pid", "INTEGER"],
  ["owner_host", "TEXT"],
  ["heartbeat_at", "TEXT"],
] as const;

const REQUIRED_COLUMNS = ["id", "command", "config_json", "config_hash", "status"];

export interface OpenedDatabase {
  db: Database.Database;
  /** Called after `db.close()`: removes a temporary copy, if the store was read through one. */
  cleanup: () => void;
}

/**
 * Refuses a database that is not a run store: one with tables but no `runs`, or a `runs` table
 * of another shape. Returns whether it is empty (a new store). Reading the schema is also what
 * makes SQLite report a file that is not a database at all.
 */
function checkIsStore(db: Database.Database, shownAs: string, path: string): { empty: boolean } {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  ).map((t) => t.name);
  if (tables.length === 0) return { empty: true };
  const columns = tables.includes("runs")
    ? new Set((db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name))
    : new Set<string>();
  if (!REQUIRED_COLUMNS.every((c) => columns.has(c)))
    throw new RunStoreError(
      "not_a_store",
      path,
      `${shownAs} is an SQLite database but not a thinkprm run store (its tables: ${tables.slice(0, 6).join(", ")}${tables.length > 6 ? ", …" : ""}); pass --store <another file>`,
    );
  // touching the runs table reads its pages: a truncated file fails here, not halfway through a job
  db.prepare("SELECT COUNT(*) FROM runs").get();
  return { empty: false };
}

function translate(error: unknown, path: string): unknown {
  return error instanceof RunStoreError ? error : (storeErrorFor(error, path) ?? error);
}

/** Opens (creating when absent) a store for reading and writing. */
export function openForWriting(path: string): OpenedDatabase {
  if (path !== ":memory:") {
    const folder = dirname(path);
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw translate(error, path);
    }
    const exists = existsSync(path);
    try {
      if (exists) accessSync(path, constants.R_OK | constants.W_OK);
      // the WAL and shared-memory files are created beside the store
      accessSync(folder, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (exists && (code === "EACCES" || code === "EPERM" || code === "EROFS"))
        throw new RunStoreError(
          "read_only",
          path,
          `the run store ${path} is read-only (${code === "EROFS" ? "a read-only file system" : "no permission to write it or its folder"}); this command writes to it: make them writable, or pass --store <another file> (or --no-store)`,
        );
      throw translate(error, path);
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    checkIsStore(db, path, path);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 10000");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    const have = new Set(
      (db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name),
    );
    for (const [name, type] of LATER_COLUMNS)
      if (!have.has(name)) db.exec(`ALTER TABLE runs ADD COLUMN ${name} ${type}`);
    return { db, cleanup: () => {} };
  } catch (error) {
    db?.close();
    throw translate(error, path);
  }
}

/** Opens an existing store read-only (never writing it, nor creating anything beside it but SQLite's own files). */
export function openForReading(path: string): OpenedDatabase {
  let writable = true;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
  } catch {
    writable = false;
  }
  try {
    return readOnly(path, path, () => {}, writable);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // WAL mode cannot be read in place from a folder this user cannot write: read a copy
    if (code !== "SQLITE_READONLY_DIRECTORY" && code !== "SQLITE_CANTOPEN") throw translate(error, path);
  }
  const dir = mkdtempSync(join(tmpdir(), "thinkprm-store-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const copy = join(dir, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    return readOnly(copy, path, cleanup, false);
  } catch (error) {
    cleanup();
    throw translate(error, path);
  }
}

function readOnly(file: string, shownAs: string, cleanup: () => void, inPlace: boolean): OpenedDatabase {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: !inPlace, fileMustExist: true });
    db.pragma("busy_timeout = 10000");
    if (checkIsStore(db, shownAs, shownAs).empty) {
      // an empty file is a store with no runs yet: answer from an empty schema
      db.close();
      cleanup();
      db = new Database(":memory:");
      db.exec(SCHEMA);
      for (const [name, type] of LATER_COLUMNS) db.exec(`ALTER TABLE runs ADD COLUMN ${name} ${type}`);
      return { db, cleanup: () => {} };
    }
    // stores written before failures were kept apart have no such table: an empty one answers for it
    const hasFailures = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'failures'")
      .get();
    if (!hasFailures)
      db.exec(
        "CREATE TEMP TABLE failures (run_id TEXT, item_key TEXT, seq INTEGER, error_json TEXT, attempts INTEGER, updated_at TEXT)",
      );
    // from here on SQLite refuses any write through this connection
    if (inPlace) db.pragma("query_only = ON");
    return { db, cleanup };
  } catch (error) {
    db?.close();
    throw error;
  }
}
