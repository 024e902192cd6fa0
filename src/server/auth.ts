/**
 * Bearer-token auth for the service. A token that is empty or only whitespace is no token: it is
 * refused off loopback (`serve` checks at start), never taken as "auth on". The `Bearer` scheme is
 * required (RFC 6750; the scheme name is case-insensitive); the comparison is timing-safe.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** `THINKPRM_TOKEN` as a token, or null when it is unset, empty or whitespace. */
export function normalizeToken(raw: string | undefined | null): string | null {
  if (raw === undefined || raw === null) return null;
  return raw.trim() === "" ? null : raw;
}

/** Whether an `Authorization` header carries exactly this bearer token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([^\s]+)$/i.exec(header ?? "");
  if (!m) return false;
  // equal-length digests: the comparison takes the same time whatever the given token's length
  const a = createHash("sha256").update(m[1]!).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}
