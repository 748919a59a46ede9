import type { Log } from "../log/index.js";

/** Timestamp lookups that may run at once, broker-wide. */
export const defaultTimestampLookups = 2;

/**
 * Runs `Log.offsetForTimestamp` for every RPC that takes a time (ListOffsets,
 * Subscribe from a time, a group's reset policy, ResetGroupOffsets) at most
 * `concurrency` at a time, broker-wide, the others waiting in arrival order.
 * A lookup reads its segment in 1 MiB steps, but a stored batch larger than that
 * whole, for its checksum (a batch is at most one Produce request,
 * maxRequestBytes): 60 lookups at once on 16 MiB batches added 925 MiB (issue 14).
 * So lookups hold at most `concurrency` such batches. They are short and rare
 * next to reads, which do not wait here.
 */
export class TimestampLookups {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly concurrency = defaultTimestampLookups) {}

  async offsetForTimestamp(log: Log, timestampMs: number): Promise<{ offset: bigint; timestampMs: number } | null> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await log.offsetForTimestamp(timestampMs);
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next(); // hands its slot on: `running` stays
      else this.running--;
    }
  }
}
