import type { Log } from "../log/index.js";

/**
 * Resolves when the log's high watermark is above `offset` (a record at
 * `offset` became readable), when the log was truncated below `offset` (the
 * next read answers out of range), when `timeoutMs` passes, or when any signal
 * aborts — whichever is first. Woken by the log's own event, never by
 * polling; the listener is removed in every case.
 */
export function waitForRecords(
  log: Log,
  offset: bigint,
  timeoutMs: number,
  signals: readonly AbortSignal[],
): Promise<void> {
  return new Promise((resolve) => {
    if (log.highWatermark > offset || offset > log.logEndOffset || signals.some((s) => s.aborted)) {
      resolve();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener("abort", done);
      resolve();
    };
    const unsubscribe = log.onHighWatermark(() => {
      if (log.highWatermark > offset || offset > log.logEndOffset) done();
    });
    if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
    for (const signal of signals) signal.addEventListener("abort", done, { once: true });
  });
}
