/** Request counters and the Prometheus text of `/metrics`. */
import type { Admission } from "./admission.js";

export const ROUTES = new Set([
  "/",
  "/health",
  "/metrics",
  "/v1/models",
  "/v1/verify",
  "/v1/rank",
  "/v1/completions",
]);

export class Counters {
  requests = new Map<string, number>();
  seconds = new Map<string, { sum: number; count: number }>();
  record(route: string, status: number, seconds: number): void {
    const key = `${route}|${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const s = this.seconds.get(route) ?? { sum: 0, count: 0 };
    s.sum += seconds;
    s.count++;
    this.seconds.set(route, s);
  }
}

export function prometheusText(counters: Counters, admission: Admission): string {
  const lines = ["# TYPE thinkprm_requests_total counter"];
  for (const [key, n] of counters.requests) {
    const [route, status] = key.split("|");
    lines.push(`thinkprm_requests_total{route="${route}",status="${status}"} ${n}`);
  }
  lines.push("# TYPE thinkprm_request_seconds summary");
  for (const [route, s] of counters.seconds) {
    lines.push(
      `thinkprm_request_seconds_sum{route="${route}"} ${s.sum.toFixed(6)}`,
      `thinkprm_request_seconds_count{route="${route}"} ${s.count}`,
    );
  }
  lines.push(
    "# TYPE thinkprm_in_flight gauge",
    `thinkprm_in_flight ${admission.active}`,
    "# TYPE thinkprm_queue_depth gauge",
    `thinkprm_queue_depth ${admission.queued}`,
    "# TYPE thinkprm_rejected_total counter",
    `thinkprm_rejected_total ${admission.rejected}`,
    "# TYPE thinkprm_abandoned_total counter",
    `thinkprm_abandoned_total ${admission.abandoned}`,
  );
  return `${lines.join("\n")}\n`;
}
