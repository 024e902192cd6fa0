/** A run as stored: its record type, and how a row of the runs table becomes one. */
import type { RunOwner } from "./store-errors.js";

/**
 * `incomplete`: the loop ended but some items failed for engine reasons (a resume retries them);
 * `interrupted`: cancelled (Ctrl-C, SIGTERM) before every item was done (a resume continues it);
 * `failed`: the command itself stopped on an error.
 */
export type RunStatus = "running" | "done" | "incomplete" | "interrupted" | "failed";

export interface RunRecord {
  id: string;
  command: string;
  config: unknown;
  configHash: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  itemsDone: number;
  itemsTotal: number | null;
  promptTokens: number;
  generatedTokens: number;
  reusedTokens: number;
  invalid: number;
  elapsedMs: number;
  metrics: unknown;
  /** What a run remembers besides its configuration (e.g. the seed drawn when none was given). */
  state: Record<string, unknown>;
  /** Items that failed for engine reasons and await a retry. */
  itemsFailed: number;
  /** The process that works (or last worked) on the run; null for runs stored before owners were kept. */
  owner: RunOwner | null;
}

export interface RunRow {
  id: string;
  command: string;
  config_json: string;
  config_hash: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  items_done: number;
  items_total: number | null;
  prompt_tokens: number;
  generated_tokens: number;
  reused_tokens: number;
  invalid: number;
  elapsed_ms: number;
  metrics_json: string | null;
  state_json?: string | null;
  items_failed?: number;
  owner_pid?: number | null;
  owner_host?: string | null;
  heartbeat_at?: string | null;
}

export const toRecord = (r: RunRow): RunRecord => ({
  id: r.id,
  command: r.command,
  config: JSON.parse(r.config_json),
  configHash: r.config_hash,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
  itemsDone: r.items_done,
  itemsTotal: r.items_total,
  promptTokens: r.prompt_tokens,
  generatedTokens: r.generated_tokens,
  reusedTokens: r.reused_tokens,
  invalid: r.invalid,
  elapsedMs: r.elapsed_ms,
  metrics: r.metrics_json === null ? null : JSON.parse(r.metrics_json),
  // columns a store of an older version (read, not migrated) lacks are absent, not null
  state: r.state_json == null ? {} : JSON.parse(r.state_json),
  itemsFailed: r.items_failed ?? 0,
  owner:
    r.owner_pid == null || r.owner_host == null
      ? null
      : { pid: r.owner_pid, host: r.owner_host, heartbeatAt: r.heartbeat_at ?? r.updated_at },
});

export const RUN_COLUMNS =
  "runs.*, (SELECT COUNT(*) FROM failures f WHERE f.run_id = runs.id) AS items_failed";
