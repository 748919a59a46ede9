/**
 * The two positions of a log that readers and replicas see (CLUSTER.md section 4), as
 * Kafka's UnifiedLog keeps its high watermark apart from LocalLog: the written end
 * (`writtenEnd`: what the LogWriter has handed to the OS, for fsyncPolicy "always"
 * fsynced) and the high watermark (`offset`: readers get only records below it).
 *
 * On one broker the high watermark follows the written end (each flush advances it). A
 * replicated log remembers each flush above its high watermark as a written mark (the
 * offset and each segment's written size then) and moves the high watermark only by
 * `advance`, in whole flushes; it saves the high watermark to its checkpoint file
 * (throttled while it moves, and by `save` on close) and starts from it on open.
 *
 * Owned by one Log: every mutation comes from it, on its event loop turn (truncations
 * call `truncateTo`/`resetTo` in the log's queue). Invariant: offset <= writtenEnd.
 */
import path from "node:path";
import type { Logger } from "pino";
import { readFileIfExists, writeFileAtomic } from "./file-io.js";
import { frameBoundary } from "./frame-boundary.js";
import type { LogSegment } from "./log-segment.js";
import type { LogSegments } from "./log-segments.js";
import type { SerialQueue } from "./serial-queue.js";

/** The high watermark of a replicated log, saved while it moves (throttled) and on
 * close: one line, the offset in decimal. Written atomically (temporary file and
 * rename) but not fsynced: a stale or lost checkpoint only starts the high watermark
 * lower (at worst at the log start offset), which is safe, since readers then wait
 * until the leader's high watermark is learnt again. */
export const highWatermarkCheckpointFile = "high-watermark-checkpoint";
export const defaultHighWatermarkCheckpointIntervalMs = 1000;

/** A flush of a replicated log not yet below its high watermark: the offset it wrote up
 * to and each segment's written size then (what becomes visible with it). */
interface WrittenMark {
  readonly endOffset: number;
  readonly sizes: ReadonlyArray<{ readonly segment: LogSegment; readonly size: number }>;
}

/** Most flushes a replicated log remembers above its high watermark (mergeOldestMarks). */
const maxWrittenMarks = 4096;

export interface HighWatermarkOptions {
  /** The partition directory, where the checkpoint file lives. */
  dir: string;
  logger: Logger;
  /** The log's queue: checkpoint writes run in it. */
  queue: SerialQueue;
  /** See LogOptions.replicated. */
  replicated: boolean;
  /** See LogOptions.highWatermarkCheckpointIntervalMs. */
  checkpointIntervalMs: number;
  /** False once the log begins to close: no checkpoint is scheduled then. */
  isOpen: () => boolean;
}

export class HighWatermark {
  private written: number;
  private hw: number;
  /** Replicated logs only: flushes above the high watermark, oldest first. */
  private readonly writtenMarks: WrittenMark[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly writtenListeners = new Set<() => void>();
  /** Replicated logs: the high watermark last saved to its checkpoint, and the timer of
   * the next save while it moved since. */
  private checkpointed = -1;
  private checkpointTimer: NodeJS.Timeout | null = null;

  /** Both positions start at `logEndOffset` (a replicated log then moves the high
   * watermark down with `startFromCheckpoint`). */
  constructor(
    private readonly options: HighWatermarkOptions,
    logEndOffset: number,
  ) {
    this.written = this.hw = logEndOffset;
  }

  /** Readers see only the records below it. */
  get offset(): number {
    return this.hw;
  }

  /** The flushes remembered above the high watermark, oldest first (read-only view). */
  get marks(): ReadonlyArray<WrittenMark> {
    return this.writtenMarks;
  }

  /** Below it everything is written (and fsynced for "always"). */
  get writtenEnd(): number {
    return this.written;
  }

  /** The writer wrote everything below `endOffset` (see WriterHost.written). */
  onWritten(endOffset: number, segments: ReadonlySet<LogSegment>): void {
    const advanced = endOffset > this.written;
    if (advanced) this.written = endOffset;
    if (!this.options.replicated) {
      // One broker: written is visible. No allocation on this path (it runs every flush).
      for (const segment of segments) segment.markVisible(segment.writtenSize);
      this.raise(endOffset);
    } else if (segments.size > 0) {
      // (none: nothing new since the previous mark)
      const sizes = [...segments].map((segment) => ({ segment, size: segment.writtenSize }));
      this.writtenMarks.push({ endOffset, sizes });
      // While the high watermark cannot move (the ISR below minInsyncReplicas, under
      // ACKS_LEADER traffic) marks pile up: past a bound the two oldest become one. The
      // high watermark then moves in a coarser step there, never past a follower.
      if (this.writtenMarks.length > maxWrittenMarks) this.mergeOldestMarks();
    }
    // Last: a listener may advance the high watermark up to the new mark.
    if (advanced && this.writtenListeners.size > 0) this.notify(this.writtenListeners, "written end listener failed");
  }

  private mergeOldestMarks(): void {
    const [older, newer] = this.writtenMarks;
    const sizes = new Map(older.sizes.map(({ segment, size }) => [segment, size]));
    for (const { segment, size } of newer.sizes) sizes.set(segment, size);
    this.writtenMarks.splice(0, 2, { endOffset: newer.endOffset, sizes: [...sizes].map(([segment, size]) => ({ segment, size })) });
  }

  /** Moves the high watermark up to `offset` (>= 0), never above the written end and
   * never back, in the steps the writer wrote (see Log.advanceHighWatermark). Returns
   * the high watermark now. */
  advance(offset: bigint): number {
    const target = offset > BigInt(this.written) ? this.written : Number(offset);
    let reached = -1;
    let n = 0;
    for (; n < this.writtenMarks.length && this.writtenMarks[n].endOffset <= target; n++) {
      for (const { segment, size } of this.writtenMarks[n].sizes) segment.markVisible(size);
      reached = this.writtenMarks[n].endOffset;
    }
    this.writtenMarks.splice(0, n);
    if (reached > this.hw) this.raise(reached);
    return this.hw;
  }

  /** A truncation to `target`: both positions come down to it if above, and the marks
   * above it go. Listeners are called by the caller (`notifyHighWatermark`) once the
   * truncation is over. */
  truncateTo(target: number): void {
    if (this.written > target) this.written = target;
    if (this.hw > target) this.hw = target;
    let marks = 0;
    while (marks < this.writtenMarks.length && this.writtenMarks[marks].endOffset <= target) marks++;
    this.writtenMarks.length = marks;
  }

  /** The log emptied and started again at `offset` (truncateFullyAndStartAt). */
  resetTo(offset: number): void {
    this.written = this.hw = offset;
    this.writtenMarks.length = 0;
  }

  private raise(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    if (this.options.replicated) this.scheduleCheckpoint();
    this.notifyHighWatermark();
  }

  notifyHighWatermark(): void {
    this.notify(this.listeners, "high watermark listener failed");
  }

  private notify(listeners: ReadonlySet<() => void>, failure: string): void {
    for (const listener of listeners) {
      try {
        listener();
      } catch (err) {
        this.options.logger.error({ err }, failure);
      }
    }
  }

  /** See Log.onHighWatermark. */
  onHighWatermark(listener: () => void): () => void {
    return subscribe(this.listeners, listener);
  }

  /** See Log.onWrittenEnd. */
  onWrittenEnd(listener: () => void): () => void {
    return subscribe(this.writtenListeners, listener);
  }

  /** Saves the high watermark at most once per interval while it moves (see
   * highWatermarkCheckpointFile); close saves the last one. */
  private scheduleCheckpoint(): void {
    if (this.checkpointTimer !== null || !this.options.isOpen()) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      if (!this.options.isOpen()) return;
      this.options.queue
        .run(() => this.save())
        .catch((err: unknown) => this.options.logger.warn({ err, dir: this.options.dir }, "high watermark checkpoint failed"));
    }, this.options.checkpointIntervalMs);
    this.checkpointTimer.unref();
  }

  /** Cancels a scheduled checkpoint (the log is closing; it calls `save` itself). */
  stop(): void {
    if (this.checkpointTimer !== null) clearTimeout(this.checkpointTimer);
  }

  /** In the queue: writes the checkpoint if the high watermark moved since the last. */
  async save(): Promise<void> {
    const hw = this.hw;
    if (hw === this.checkpointed) return;
    await writeFileAtomic(path.join(this.options.dir, highWatermarkCheckpointFile), Buffer.from(`${hw}\n`), false);
    this.checkpointed = hw;
  }

  /**
   * Open of a replicated log: the high watermark starts at min(checkpoint, log end)
   * (the log start offset without a readable checkpoint), never at the log end: the
   * records above it may still be truncated by the leader (CLUSTER.md section 4). The
   * segments' bytes above it are hidden from readers, and one written mark at the log
   * end makes them visible once the high watermark reaches it.
   */
  async startFromCheckpoint(segments: LogSegments, logStartOffset: number, logEndOffset: number): Promise<void> {
    const bytes = await readFileIfExists(path.join(this.options.dir, highWatermarkCheckpointFile));
    const text = bytes?.toString("utf8").trim();
    const saved = text !== undefined && /^\d+$/.test(text) ? Number(text) : -1;
    let start = Math.min(Math.max(saved, logStartOffset), logEndOffset);
    this.checkpointed = saved;
    if (start >= logEndOffset) return;
    let segment = segments.floor(start);
    let cut = await frameBoundary(segment, start);
    if (cut === null) {
      // Inside a frame (a checkpoint from another history): start at the frame's segment base.
      start = Math.max(segment.baseOffset, logStartOffset);
      segment = segments.floor(start);
      cut = await frameBoundary(segment, start);
      if (cut === null) ({ start, cut } = { start: segment.baseOffset, cut: { position: 0, maxTimestamp: 0, lastBatchOffset: -1 } });
    }
    const sizes: Array<{ segment: LogSegment; size: number }> = [];
    for (const s of segments.toArray()) {
      if (s.baseOffset < segment.baseOffset) continue;
      sizes.push({ segment: s, size: s.writtenSize });
      s.hideFrom(s === segment ? cut.position : 0);
    }
    this.hw = start;
    this.writtenMarks.push({ endOffset: logEndOffset, sizes });
  }
}

/** One subscription per call, even for the same function; returns the unsubscribe. */
function subscribe(listeners: Set<() => void>, listener: () => void): () => void {
  const wrapped = (): void => listener();
  listeners.add(wrapped);
  return () => {
    listeners.delete(wrapped);
  };
}
