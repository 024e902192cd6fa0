/**
 * Which process works on a run. A run being worked on records its owner (pid, host) and a
 * heartbeat; another process that finds it `running` joins it only when the owner is gone: its
 * pid no longer exists on this host, or its heartbeat stopped (a crash on another host, a reused
 * pid). Two live processes on one run would both do every item.
 */
import { hostname } from "node:os";
import type { RunOwner } from "./store-errors.js";

/** How often a working process renews its heartbeat. */
export const HEARTBEAT_MS = 15_000;
/**
 * A heartbeat older than this marks the owner dead even when its pid exists (a pid reused after a
 * crash, a process on another host that stopped). Many heartbeats long, so a busy process that
 * misses a few is never taken over.
 */
export const STALE_AFTER_MS = 5 * 60_000;

/** Runs this process works on now (a pid cannot tell two runs of one process apart). */
const ownedHere = new Set<string>();
const slot = (storePath: string, runId: string) => `${storePath}\n${runId}`;

export function claimHere(storePath: string, runId: string): void {
  ownedHere.add(slot(storePath, runId));
}

export function releaseHere(storePath: string, runId: string): void {
  ownedHere.delete(slot(storePath, runId));
}

export function currentOwner(now: Date): RunOwner {
  return { pid: process.pid, host: hostname(), heartbeatAt: now.toISOString() };
}

/** Whether a process of this host with that pid exists (EPERM: it exists, another user's). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the recorded owner of a `running` run still works on it, and its heartbeat's age. */
export function ownerIsAlive(
  owner: RunOwner,
  where: { storePath: string; runId: string },
  now: Date,
): { alive: boolean; ageSeconds: number } {
  const ageMs = now.getTime() - Date.parse(owner.heartbeatAt);
  const ageSeconds = ageMs / 1000;
  if (!(ageMs < STALE_AFTER_MS)) return { alive: false, ageSeconds };
  if (owner.host !== hostname()) return { alive: true, ageSeconds };
  if (owner.pid === process.pid)
    return { alive: ownedHere.has(slot(where.storePath, where.runId)), ageSeconds };
  return { alive: pidExists(owner.pid), ageSeconds };
}
