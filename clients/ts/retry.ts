import { status, type ServiceError } from "@grpc/grpc-js";

/** Statuses worth another try: the broker is away or busy, not the request wrong. */
export function isRetriable(err: unknown): boolean {
  const code = (err as Partial<ServiceError>).code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.ABORTED;
}

/** Exponential backoff with full jitter, capped: attempt 0 -> up to base, 1 -> 2×base, ... */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
