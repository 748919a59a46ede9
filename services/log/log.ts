/**
 * A partition log: a directory of segments (DESIGN.md section 3), Kafka's `Log`.
 *
 * Invariants: offsets increase from logStartOffset to logEndOffset, also across
 * restarts, contiguously except where compaction (log-cleaner.ts) removed records from
 * sealed segments (a read of a removed offset starts at the next record);
 * logStartOffset <= highWatermark <= writtenEndOffset <= logEndOffset.
 *
 * Two positions, two names (CLUSTER.md section 4): the written end
 * (`writtenEndOffset`) is what the LogWriter has handed to the OS (for fsyncPolicy
 * "always": fsynced), what a replica may report to its leader as its log end; the
 * high watermark is what readers may see: they get only records below it. On one
 * broker the high watermark follows the written end (each flush advances it), so
 * nothing a reader saw can vanish in a process crash. A replicated log
 * (`LogOptions.replicated`) moves it only when told (`advanceHighWatermark`: the
 * leader's high watermark, from its followers).
 * Every segment but the last is sealed. Offsets are JS numbers inside (below 2^53) and
 * bigints at this API.
 *
 * Concurrency: `append` is synchronous (offset assignment, roll, copy into the tail);
 * everything that touches files runs on one SerialQueue per log (writes and fsyncs by
 * the LogWriter, retention, deleteRecordsBefore, compaction's swaps, flush, close), so a
 * roll or a deletion never interleaves with a write in flight. Reads run concurrently and
 * pin the segment they read (LogSegment.acquire) so that a deletion or a compaction's
 * swap closes its file only after them.
 */
import assert from "node:assert";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { CorruptDataError, InvalidArgumentError, OffsetOutOfRangeError, UnavailableError } from "../errors.js";
import type { AppendOptions, AppendResult } from "./append-result.js";
import {
  frameBaseOffset,
  frameCrcMatches,
  frameHeaderBytes,
  frameHeaderProblem,
  frameLastOffsetDelta,
  frameLength,
  frameMaxTimestamp,
  frameRecordCount,
  readFrameHeader,
  writeFrameHeader,
} from "./batch-frame.js";
import type { FetchData, ReadOptions } from "./fetch-data.js";
import { fsyncDir, readFileIfExists, storageError, unlinkIfExists, writeFileAtomic } from "./file-io.js";
import { scanFrames } from "./frame-scanner.js";
import { LogCleaner, type CompactionResult } from "./log-cleaner.js";
import { validateLogConfig, type LogConfig, type ResolvedLogConfig } from "./log-config.js";
import { LeaderEpochCache, type EpochEntry } from "./leader-epoch-cache.js";
import { cleanShutdownFile, loadLog, logStartOffsetFile, producerSnapshotFile, truncationFile, type LoadedLog } from "./log-loader.js";
import type { SegmentRead } from "./entry-collector.js";
import { LogSegment } from "./log-segment.js";
import { LogSegments } from "./log-segments.js";
import { LogWriter } from "./log-writer.js";
import type { OpenSegmentFiles } from "./open-segment-files.js";
import type { ProducerBatch, ProducerStateManager } from "./producer-state.js";
import { recordEntriesLength, writeRecordEntries, type EntriesStats } from "./record-entry.js";
import type { RecordSpans } from "./record-spans.js";
import { SerialQueue } from "./serial-queue.js";

export interface LogOptions {
  /** The partition directory; created if missing. */
  dir: string;
  config: LogConfig;
  logger: Logger;
  clock: { nowMs(): number };
  /** Called with the latency in seconds of each fsync the log writer does (metrics). */
  onFsync?: (seconds: number) => void;
  /** Bounds the sealed segments' files held open (shared by a broker's logs); without
   * it every segment keeps its file open. */
  openFiles?: OpenSegmentFiles;
  /** True for a replica in a cluster: the high watermark moves only by
   * `advanceHighWatermark`, starts on open at min(high-watermark-checkpoint, log end)
   * (CLUSTER.md section 4; the log start offset without a checkpoint), and no leader
   * epoch is started locally after an unclean shutdown (only the controller creates
   * epochs in a cluster: `startLeaderEpoch`). Default false (one broker): the high
   * watermark follows the written end and starts at the log end. */
  replicated?: boolean;
  /** Replicated logs: the least time between two writes of the
   * `high-watermark-checkpoint` file while the high watermark moves (it is also written
   * on close). Default 1000 ms. */
  highWatermarkCheckpointIntervalMs?: number;
}

/** The high watermark of a replicated log, saved while it moves (throttled) and on
 * close: one line, the offset in decimal. Written atomically (temporary file and
 * rename) but not fsynced: a stale or lost checkpoint only starts the high watermark
 * lower (at worst at the log start offset), which is safe, since readers then wait
 * until the leader's high watermark is learnt again. */
export const highWatermarkCheckpointFile = "high-watermark-checkpoint";
const defaultHighWatermarkCheckpointIntervalMs = 1000;

/** A flush of a replicated log not yet below its high watermark: the offset it wrote up
 * to and each segment's written size then (what becomes visible with it). */
interface WrittenMark {
  readonly endOffset: number;
  readonly sizes: ReadonlyArray<{ readonly segment: LogSegment; readonly size: number }>;
}

/** Most flushes a replicated log remembers above its high watermark (mergeOldestMarks). */
const maxWrittenMarks = 4096;
/** Largest frame: positions and lengths are int32. */
const maxFrameBytes = 0x7fffffff - frameHeaderBytes;
const maxInt64 = 0x7fffffffffffffffn;
/** How often an idle partition is checked for a tail buffer to let go of. */
const idleTailCheckMs = 2000;

export class Log {
  private state: "open" | "closing" | "closed" = "open";
  /** Counts truncations and restarts, so a producer snapshot taken at a roll before one is not written after it. */
  private truncations = 0;
  private closing: Promise<void> | null = null;
  private readonly idleTailTimer: NodeJS.Timeout;
  private segments: LogSegments;
  private active: LogSegment;
  private nextOffset: number;
  /** The written end: below it everything is written (and fsynced for "always"). */
  private written: number;
  private hw: number;
  /** Replicated logs only: flushes above the high watermark, oldest first. */
  private readonly writtenMarks: WrittenMark[] = [];
  private startOffset: number;
  private readonly listeners = new Set<() => void>();
  private readonly writtenListeners = new Set<() => void>();
  /** Replicated logs: the high watermark last saved to its checkpoint, and the timer of
   * the next save while it moved since. */
  private checkpointedHighWatermark = -1;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private hwCheckpointIntervalMs = defaultHighWatermarkCheckpointIntervalMs;
  private readonly stats: EntriesStats = { firstTimestamp: 0, maxTimestamp: 0 };
  private readonly queue = new SerialQueue();
  private readonly writer: LogWriter;
  private readonly cleaner: LogCleaner;
  /** The current leader epoch, the cache's latest: stamped on every frame `append`
   * writes; follower appends and truncations move it. */
  private epoch: number;
  /** A follower append started an epoch the checkpoint does not have yet: saved before
   * its frames are written (WriterHost.beforeWrite). */
  private epochsUnsaved = false;
  /** While a truncation runs: appends fail with LOG_TRUNCATING, reads wait for it. */
  private truncation: Promise<void> | null = null;
  /** A truncation's file work failed half way: appends fail with it until a reopen
   * completes the truncation (log-loader.ts). */
  private truncationFailure: Error | null = null;

  private constructor(
    private readonly dir: string,
    private config: ResolvedLogConfig,
    private readonly logger: Logger,
    private readonly clock: { nowMs(): number },
    segments: LogSegment[],
    private readonly producers: ProducerStateManager,
    logStartOffset: number,
    private readonly epochs: LeaderEpochCache,
    onFsync?: (seconds: number) => void,
    private readonly openFiles?: OpenSegmentFiles,
    private readonly replicated = false,
  ) {
    this.epoch = Math.max(0, epochs.latestEpoch);
    this.segments = new LogSegments(segments);
    if (openFiles !== undefined) for (const segment of segments) if (segment.sealed) segment.attach(openFiles);
    this.active = this.segments.last;
    this.nextOffset = this.written = this.hw = this.active.nextOffset;
    this.startOffset = logStartOffset;
    const host = {
      logEndOffset: () => this.nextOffset,
      written: (endOffset: number, segments: ReadonlySet<LogSegment>) => this.onWritten(endOffset, segments),
      beforeWrite: () => (this.epochsUnsaved ? this.saveEpochs() : undefined),
    };
    this.writer = new LogWriter(dir, this.queue, host, logger, config.fsyncPolicy, config.flushIntervalMs, onFsync);
    // An idle partition lets go of its tail buffer (LogSegment.dropIdleTail).
    this.idleTailTimer = setInterval(() => {
      if (this.state === "open") this.active.dropIdleTail();
    }, idleTailCheckMs);
    this.idleTailTimer.unref();
    this.cleaner = new LogCleaner({
      dir,
      logger,
      queue: this.queue,
      isOpen: () => this.state === "open",
      flush: () => this.writer.flush(true),
      snapshot: () => ({ segments: this.segments.toArray(), logStartOffset: this.startOffset, highWatermark: this.hw }),
      locate: (s) => (this.segments.first === s ? "first" : this.segments.has(s) ? "other" : "gone"),
      replace: (old, created) => {
        this.segments.replace(old, created);
        this.writer.forget(old);
        if (created !== null && created.sealed && this.openFiles !== undefined) created.attach(this.openFiles);
      },
    });
  }

  /** Opens (creating if missing) and recovers the log in `options.dir`.
   * @throws InvalidArgumentError INVALID_LOG_CONFIG */
  static async open(options: LogOptions): Promise<Log> {
    const config = validateLogConfig(options.config);
    const loaded = await loadLog(options.dir, config, options.logger);
    let epochs: LeaderEpochCache;
    try {
      epochs = await openLeaderEpochs(options.dir, loaded, options.logger, options.replicated === true);
    } catch (err) {
      for (const segment of loaded.segments) await segment.close().catch(() => undefined);
      throw err;
    }
    const log = new Log(
      options.dir,
      config,
      options.logger,
      options.clock,
      loaded.segments,
      loaded.producers,
      loaded.logStartOffset,
      epochs,
      options.onFsync,
      options.openFiles,
      options.replicated,
    );
    if (options.replicated === true) {
      log.hwCheckpointIntervalMs = options.highWatermarkCheckpointIntervalMs ?? defaultHighWatermarkCheckpointIntervalMs;
      try {
        await log.startHighWatermarkFromCheckpoint();
      } catch (err) {
        await log.close().catch(() => undefined);
        throw err;
      }
    }
    options.logger.info(
      { dir: options.dir, logStartOffset: log.startOffset, logEndOffset: log.nextOffset, highWatermark: log.hw, segments: log.segments.count, leaderEpoch: log.epoch },
      "log opened",
    );
    return log;
  }

  /** The epoch stamped on records appended now (leader-epoch-cache.ts). */
  get leaderEpoch(): number {
    return this.epoch;
  }

  /** The leader epoch of the record at `offset` (-1 when no epoch covers it). */
  epochForOffset(offset: bigint): number {
    return this.epochs.epochForOffset(Number(offset));
  }

  /** The (epoch, start offset) entries of this log, oldest first. */
  leaderEpochs(): EpochEntry[] {
    return this.epochs.toArray();
  }

  /**
   * Where the history of `epoch` ends in this log (KIP-320): the largest epoch at or
   * below it and that epoch's end offset (the log end offset for the current epoch);
   * endOffset -1 when this log knows no such epoch. A reader whose last consumed record
   * had `epoch` and whose next offset is above `endOffset` is past a truncation.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    const end = this.epochs.endOffsetFor(epoch, this.nextOffset);
    return { epoch: end.epoch, endOffset: BigInt(end.endOffset) };
  }

  /**
   * Starts leader epoch `epoch` at the log end (this replica becomes the leader, the
   * epoch given by the controller: CLUSTER.md section 4, epoch numbers have one owner):
   * its checkpoint entry is saved durably, and every `append` from then on stamps it.
   * Runs in the log's queue, after any truncation already asked for. Idempotent for the
   * current epoch.
   * @throws InvalidArgumentError LEADER_EPOCH_DECREASED (below the current epoch);
   *   UnavailableError LOG_CLOSED, STORAGE_ERROR
   */
  async startLeaderEpoch(epoch: number): Promise<void> {
    this.checkOpen();
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0x7fffffff) throw new InvalidArgumentError("BAD_EPOCH", "a leader epoch is an int32 >= 0");
    await this.queue.run(async () => {
      this.checkOpen();
      const latest = this.epochs.latestEpoch;
      if (epoch < latest) throw new InvalidArgumentError("LEADER_EPOCH_DECREASED", `leader epoch ${epoch} is below the log's ${latest}`);
      if (epoch > latest) {
        this.epochs.assign(epoch, this.nextOffset);
        this.epoch = epoch;
        this.epochsUnsaved = true;
      }
      if (this.epochsUnsaved) await this.saveEpochs().catch((err: unknown) => Promise.reject(storageError(err)));
    });
  }

  /**
   * Whole frames as stored, from the frame whose base offset is `offset` on, up to the
   * written end (not the high watermark): what a leader sends its followers
   * (CLUSTER.md section 4: byte-identical frames, offsets, epochs and producer ids
   * kept). At least one frame when there is one, else at most `maxBytes`; from a single
   * segment (the next call goes on). A copy: the buffer is the caller's. Each frame's
   * crc is checked. Empty at or above the written end.
   * @throws OffsetOutOfRangeError below logStartOffset or above logEndOffset;
   *   InvalidArgumentError OFFSET_INSIDE_BATCH when `offset` is not a frame's base
   *   offset; CorruptDataError for a damaged frame; UnavailableError LOG_CLOSED
   */
  async readFrames(offset: bigint, maxBytes: number): Promise<{ frames: Buffer; nextOffset: bigint }> {
    this.checkOpen();
    if (this.truncation !== null) await this.truncation;
    let target = this.toOffset(offset);
    while (target < this.written) {
      const segment = this.segments.floor(target);
      if (!segment.isOpen) {
        this.checkOpen();
        continue; // deleted or swapped meanwhile: look again
      }
      const start = segment.offsetIndex.lookup(target);
      const end = segment.writtenSize;
      const parts: Buffer[] = [];
      let bytes = 0;
      let next = target;
      let inside = false;
      segment.acquire();
      let scan;
      try {
        scan = await scanFrames(segment.fd, start.position, end, start.offset, { verify: true, chunkBytes: Math.max(64 * 1024, maxBytes) }, (h, _position, buf, at) => {
          const last = h.baseOffset + h.lastOffsetDelta;
          if (last < target) return true;
          if (h.baseOffset < target) {
            inside = true;
            return false;
          }
          if (parts.length > 0 && bytes + h.frameLength > maxBytes) return false;
          parts.push(Buffer.from(buf.subarray(at, at + h.frameLength)));
          bytes += h.frameLength;
          next = last + 1;
          return true;
        });
      } finally {
        segment.release();
      }
      if (inside) throw new InvalidArgumentError("OFFSET_INSIDE_BATCH", `offset ${target} is inside a batch`);
      if (parts.length > 0) return { frames: parts.length === 1 ? parts[0] : Buffer.concat(parts), nextOffset: BigInt(next) };
      if (scan.problem !== null) throw new CorruptDataError(`segment ${segment.baseOffset} has a damaged batch at position ${scan.position}: ${scan.problem}`);
      const higher = this.segments.higher(segment.baseOffset);
      if (higher === null || !segment.sealed) break;
      target = Math.max(target, higher.baseOffset); // the rest of `segment` was compacted away
    }
    return { frames: Buffer.alloc(0), nextOffset: BigInt(target) };
  }

  /** Calls `listener` (synchronously, no arguments) whenever the written end advances
   * (a leader: new frames to send, its own log end for the high watermark); returns
   * the unsubscribe function. */
  onWrittenEnd(listener: () => void): () => void {
    const wrapped = (): void => listener();
    this.writtenListeners.add(wrapped);
    return () => {
      this.writtenListeners.delete(wrapped);
    };
  }

  get logStartOffset(): bigint {
    return BigInt(this.startOffset);
  }
  /** One past the last record appended (in memory or on disk). */
  get logEndOffset(): bigint {
    return BigInt(this.nextOffset);
  }
  /** One past the last record written (and fsynced for "always"): what this log, as a
   * replica, may report as its log end. */
  get writtenEndOffset(): bigint {
    return BigInt(this.written);
  }
  /** Readers see only the records below it. */
  get highWatermark(): bigint {
    return BigInt(this.hw);
  }
  get sizeBytes(): number {
    return this.segments.sizeBytes;
  }
  get segmentCount(): number {
    return this.segments.count;
  }

  /**
   * Assigns offsets and copies the records into the tail, synchronously; the bytes reach
   * the OS on the next tick (see LogWriter).
   * @throws UnavailableError LOG_CLOSED; the writer's failure while writes fail
   *   (StorageFullError...); InvalidArgumentError EMPTY_BATCH, BAD_SPAN, BATCH_TOO_LARGE,
   *   BAD_PRODUCER; OutOfOrderSequenceError
   */
  append(records: RecordSpans, options?: AppendOptions): AppendResult {
    this.checkAppendable();
    const count = records.count;
    if (!(count > 0)) throw new InvalidArgumentError("EMPTY_BATCH", "a batch needs at least one record");
    const producerId = options?.producerId;
    const sequence = options?.sequence;
    const idempotent = producerId !== undefined && sequence !== undefined;
    if (idempotent) {
      if (producerId < 0n || sequence < 0n || producerId > maxInt64 || sequence > maxInt64) {
        throw new InvalidArgumentError("BAD_PRODUCER", "producer id and sequence must be in [0, 2^63)");
      }
      const original = this.producers.check(producerId, sequence);
      if (original !== null) return this.duplicate(original);
    }
    const now = this.clock.nowMs();
    const entriesLength = recordEntriesLength(records, now);
    if (entriesLength < 0) throw new InvalidArgumentError("BAD_SPAN", "a record span is outside its source buffer");
    const length = frameHeaderBytes + entriesLength;
    if (length > maxFrameBytes) throw new InvalidArgumentError("BATCH_TOO_LARGE", "a batch must be smaller than 2 GiB");
    this.maybeRoll(length, count, now);
    const segment = this.active;
    const baseOffset = this.nextOffset;
    const lastOffset = baseOffset + count - 1;
    const at = segment.reserve(length);
    const tail = segment.appendTail;
    const end = writeRecordEntries(tail, at + frameHeaderBytes, records, baseOffset, now, this.stats, entriesLength);
    assert(end === at + length, "frame length mismatch");
    writeFrameHeader(tail, at, {
      baseOffset,
      frameLength: length,
      recordCount: count,
      firstTimestamp: this.stats.firstTimestamp,
      maxTimestamp: this.stats.maxTimestamp,
      producerId: idempotent ? producerId : -1n,
      baseSequence: idempotent ? sequence : -1n,
      leaderEpoch: this.epoch,
    });
    segment.appended(length, baseOffset, lastOffset, this.stats.maxTimestamp, now, this.config.indexIntervalBytes);
    this.nextOffset = lastOffset + 1;
    this.segments.grew(length);
    if (idempotent) this.producers.record(producerId, { sequence, baseOffset, lastOffset, appendTimeMs: now });
    const durable = this.writer.appended(segment);
    return { baseOffset: BigInt(baseOffset), lastOffset: BigInt(lastOffset), logAppendTimeMs: now, duplicate: false, durable };
  }

  /**
   * Appends frames copied from the leader (CLUSTER.md section 4), verbatim: offsets,
   * leader epochs, timestamps, producer ids and sequences kept. `frames` is whole frames
   * back to back (batch-frame.ts). All are checked before any is appended: structure
   * and crc, base offsets continuing this log exactly (the first at logEndOffset), and
   * epochs never going down (at or above the current one). One exception to "exactly",
   * for cleanupPolicy "compact" only: a frame may start above the offset expected (a gap
   * compaction left at the leader, where it removed the last records of a segment, or
   * all of its first segment's): the active segment is then sealed covering the gap
   * (even empty) and a new one starts at the frame, as compaction's own segments do
   * (log-cleaner.ts). A frame with a higher epoch
   * starts it (the checkpoint is saved before that frame is written); producer state
   * records each idempotent batch as recovery replays it (no sequence check: the leader
   * checked). Synchronous like `append`; `durable` as for `append`.
   * @throws UnavailableError LOG_CLOSED, LOG_TRUNCATING; the writer's failure;
   *   InvalidArgumentError EMPTY_BATCH, BAD_FRAME (torn, malformed or crc mismatch),
   *   OFFSET_MISMATCH (does not continue the log), LEADER_EPOCH_DECREASED
   */
  appendAsFollower(frames: Buffer): { baseOffset: bigint; lastOffset: bigint; durable: Promise<void> } {
    this.checkAppendable();
    if (frames.length === 0) throw new InvalidArgumentError("EMPTY_BATCH", "no frames to append");
    let expected = this.nextOffset;
    // Compared with the epoch of the last record: an epoch started at the log end that
    // holds no record (this replica led it and wrote nothing) gives way to the leader's.
    let epoch = this.nextOffset > 0 ? this.epochs.epochForOffset(this.nextOffset - 1) : -1;
    for (let at = 0; at < frames.length; at += frameLength(frames, at)) {
      const room = frames.length - at;
      const problem = room < frameHeaderBytes ? "torn header" : frameHeaderProblem(frames, at, -1, Math.min(room, maxFrameBytes));
      if (problem !== null || !frameCrcMatches(frames, at, frameLength(frames, at))) {
        throw new InvalidArgumentError("BAD_FRAME", `frame at byte ${at}: ${problem ?? "crc mismatch"}`);
      }
      const base = frameBaseOffset(frames, at);
      const gapAllowed = base > expected && this.config.cleanupPolicy === "compact";
      if (base !== expected && !gapAllowed) {
        throw new InvalidArgumentError("OFFSET_MISMATCH", `frame at byte ${at} starts at offset ${base}, the log continues at ${expected}`);
      }
      const frameEpoch = frames.readInt32LE(at + 12);
      if (frameEpoch < epoch || frameEpoch < 0) {
        throw new InvalidArgumentError("LEADER_EPOCH_DECREASED", `frame at offset ${base} has leader epoch ${frameEpoch}, below ${epoch}`);
      }
      epoch = frameEpoch;
      expected = base + frameLastOffsetDelta(frames, at) + 1;
    }
    const now = this.clock.nowMs();
    const baseOffset = this.nextOffset;
    let durable: Promise<void> = Promise.resolve();
    for (let at = 0; at < frames.length; ) {
      const length = frameLength(frames, at);
      const frameBase = frameBaseOffset(frames, at);
      if (frameBase > this.nextOffset) this.rollOverGap(frameBase);
      const base = this.nextOffset;
      const last = base + frameLastOffsetDelta(frames, at);
      const frameEpoch = frames.readInt32LE(at + 12);
      if (frameEpoch !== this.epochs.latestEpoch) {
        this.epochs.truncateFromEnd(base); // epochs without a record, see above
        if (frameEpoch > this.epochs.latestEpoch) this.epochs.assign(frameEpoch, base);
        this.epoch = Math.max(0, this.epochs.latestEpoch);
        this.epochsUnsaved = true;
      }
      this.maybeRoll(length, last - base + 1, now);
      const segment = this.active;
      const into = segment.reserve(length);
      frames.copy(segment.appendTail, into, at, at + length);
      segment.appended(length, base, last, frameMaxTimestamp(frames, at), now, this.config.indexIntervalBytes);
      this.nextOffset = last + 1;
      this.segments.grew(length);
      const producerId = frames.readBigInt64LE(at + 43);
      const sequence = frames.readBigInt64LE(at + 51);
      if (producerId >= 0n && sequence >= 0n) {
        this.producers.record(producerId, { sequence, baseOffset: base, lastOffset: last, appendTimeMs: frameMaxTimestamp(frames, at) });
      }
      durable = this.writer.appended(segment);
      at += length;
    }
    return { baseOffset: BigInt(baseOffset), lastOffset: BigInt(this.nextOffset - 1), durable };
  }

  private saveEpochs(): Promise<void> {
    this.epochsUnsaved = false;
    return this.epochs.save().catch((err: unknown) => {
      this.epochsUnsaved = true;
      throw err;
    });
  }

  /**
   * Removes every record at or above `offset` (CLUSTER.md section 4: a follower
   * truncating to where its history and the leader's agree). A no-op at or above the
   * log end. `offset` must be a frame boundary: the base offset of a frame, or the end
   * of a segment's frames (a follower's log ends at one, and the leader's epochs start at
   * one). It may be below the high watermark, which then comes down with it (only an
   * unclean leader election asks that in a cluster; readers beyond the new end get
   * OFFSET_OUT_OF_RANGE, Subscribe an offset reset), but not below logStartOffset.
   *
   * Crash-safe: everything appended is written and fsynced first; then a marker file
   * (`truncating-to`, the target offset) is written durably, and only then files change:
   * the producer snapshot goes, later segments are deleted newest first, the segment
   * holding `offset` is cut and fdatasynced with its indexes saved, the epoch
   * checkpoint is truncated, and the marker removed. A crash before the marker is durable
   * reopens the old log; after it, open completes the truncation before anything else
   * (log-loader.ts), so the log reopens truncated. In memory the log changes once the
   * reads in flight on the segments concerned are over and the marker is durable:
   * appends meanwhile fail with LOG_TRUNCATING, reads and timestamp lookups wait.
   * Compaction passes are kept out. High watermark listeners are called afterwards (readers past the new end
   * must hear). The leader epoch becomes the latest left (a replica that leads again
   * gets a new one from the controller, CLUSTER.md: epoch numbers have one owner).
   * @throws InvalidArgumentError BAD_OFFSET (negative), OFFSET_INSIDE_BATCH;
   *   OffsetOutOfRangeError below logStartOffset; UnavailableError LOG_CLOSED,
   *   STORAGE_ERROR, StorageFullError (before the marker is durable nothing changed;
   *   after it, appends fail until the log is reopened, which completes the truncation)
   */
  async truncateTo(offset: bigint): Promise<void> {
    this.checkOpen();
    if (offset < 0n) throw new InvalidArgumentError("BAD_OFFSET", "offset must not be negative");
    const target = offset > BigInt(this.nextOffset) ? this.nextOffset : Number(offset);
    await this.cleaner.exclusive(() =>
      this.queue.run(async () => {
        this.checkOpen();
        if (target >= this.nextOffset) return;
        if (target < this.startOffset) throw new OffsetOutOfRangeError(offset, BigInt(this.startOffset), BigInt(this.nextOffset));
        if (this.truncationFailure !== null) throw this.truncationFailure;
        let done!: () => void;
        this.truncation = new Promise<void>((resolve) => (done = resolve));
        try {
          await this.truncateInQueue(target);
        } finally {
          this.truncation = null;
          done();
          this.notifyHighWatermark();
        }
      }),
    );
  }

  /**
   * Empties the log and starts it again at `offset`, above its log end (Kafka's
   * truncateFullyAndStartAt): a follower whose log ends below its leader's log start
   * offset (the leader deleted the records it lacks) can only continue from there.
   * Producer state and leader epochs go with the records; the log start offset, high
   * watermark and log end become `offset`.
   *
   * Crash-safe like truncateTo's: in memory the log changes in one step once reads in
   * flight are over (appends meanwhile fail with LOG_TRUNCATING, reads wait); on disk
   * the producer snapshot goes, the segments are deleted newest first (a crash leaves a
   * shorter log, from which the follower does this again), then the empty epoch
   * checkpoint and the log start offset are saved; the new segment's file is made by the
   * first write (or by the next open, at the saved log start offset).
   * @throws InvalidArgumentError BAD_OFFSET (not above the log end); UnavailableError
   *   LOG_CLOSED, STORAGE_ERROR (appends then fail until the log is reopened)
   */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.checkOpen();
    const above = (): void => {
      if (offset <= BigInt(this.nextOffset) || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new InvalidArgumentError("BAD_OFFSET", `the new start ${offset} must be above the log end offset ${this.nextOffset}`);
      }
    };
    above();
    const target = Number(offset);
    await this.cleaner.exclusive(() =>
      this.queue.run(async () => {
        this.checkOpen();
        above(); // appended meanwhile
        if (this.truncationFailure !== null) throw this.truncationFailure;
        let done!: () => void;
        this.truncation = new Promise<void>((resolve) => (done = resolve));
        try {
          await this.restartInQueue(target);
        } finally {
          this.truncation = null;
          done();
          this.notifyHighWatermark();
        }
      }),
    );
  }

  private async restartInQueue(target: number): Promise<void> {
    await this.writer.flush(true);
    const old = this.segments.toArray();
    await Promise.all(old.map((s) => s.drained()));
    // In memory, in one step.
    for (const s of old) this.writer.forget(s);
    const created = LogSegment.pending(this.dir, target, this.logger);
    this.segments = new LogSegments([created]);
    this.active = created;
    this.nextOffset = this.written = this.hw = this.startOffset = target;
    this.truncations++;
    this.writtenMarks.length = 0;
    this.producers.truncateFrom(0);
    this.epochs.truncateFromEnd(0);
    this.epoch = 0;
    this.logger.warn({ dir: this.dir, logStartOffset: target, segmentsRemoved: old.length }, "log emptied: starting at the leader's log start offset");
    try {
      await unlinkIfExists(path.join(this.dir, producerSnapshotFile));
      for (const s of old.reverse()) await s.delete();
      await this.epochs.save();
      this.epochsUnsaved = false;
      await writeFileAtomic(path.join(this.dir, logStartOffsetFile), Buffer.from(`${target}\n`), true);
      await fsyncDir(this.dir);
    } catch (err) {
      this.truncationFailure = storageError(err);
      this.logger.error({ err, dir: this.dir, startAt: target }, "emptying the log failed: appends fail until the log is reopened");
      throw this.truncationFailure;
    }
  }

  private async truncateInQueue(target: number): Promise<void> {
    await this.writer.flush(true);
    const segment = this.segments.floor(target);
    const cut = await frameBoundary(segment, target);
    if (cut === null) throw new InvalidArgumentError("OFFSET_INSIDE_BATCH", `offset ${target} is inside a batch: truncate to a batch's first offset`);
    const affected = this.segments.toArray().filter((s) => s.baseOffset >= segment.baseOffset);
    await Promise.all(affected.map((s) => s.drained()));
    // The commit point: from here on a crash reopens the truncated log (log-loader.ts).
    // A failure before it leaves everything as it was.
    const marker = path.join(this.dir, truncationFile);
    await writeFileAtomic(marker, Buffer.from(`${target}\n`), true).catch((err: unknown) => Promise.reject(storageError(err)));
    // In memory, in one step: the log is the truncated one from here on.
    segment.truncateInMemory(cut.position, target, cut.maxTimestamp, cut.lastBatchOffset);
    const removed = this.segments.removeAfter(segment);
    for (const s of removed) this.writer.forget(s);
    this.active = segment;
    this.nextOffset = target;
    this.truncations++;
    if (this.written > target) this.written = target;
    if (this.hw > target) this.hw = target;
    let marks = 0;
    while (marks < this.writtenMarks.length && this.writtenMarks[marks].endOffset <= target) marks++;
    this.writtenMarks.length = marks;
    this.producers.truncateFrom(target);
    this.epochs.truncateFromEnd(target);
    this.epoch = Math.max(0, this.epochs.latestEpoch);
    this.logger.warn({ dir: this.dir, truncateTo: target, segmentsRemoved: removed.length }, "log truncated");
    // On disk, in an order a crash cannot break (see truncateTo).
    try {
      await unlinkIfExists(path.join(this.dir, producerSnapshotFile));
      for (const s of removed.reverse()) await s.delete();
      await segment.truncateFile();
      await segment.saveIndexes(true);
      await this.epochs.save();
      this.epochsUnsaved = false;
      await fsyncDir(this.dir);
      await unlinkIfExists(marker);
      await fsyncDir(this.dir);
    } catch (err) {
      this.truncationFailure = storageError(err);
      this.logger.error({ err, dir: this.dir, truncateTo: target }, "log truncation failed: appends fail until the log is reopened");
      throw this.truncationFailure;
    }
  }

  private duplicate(batch: ProducerBatch): AppendResult {
    return {
      baseOffset: BigInt(batch.baseOffset),
      lastOffset: BigInt(batch.lastOffset),
      logAppendTimeMs: batch.appendTimeMs,
      duplicate: true,
      durable: this.writer.durableAt(batch.lastOffset + 1, this.written),
    };
  }

  /** Rolls before an append that would overflow the active segment (unless it is empty),
   * when the segment is segmentMs old, or when its index or relative offsets are full. */
  private maybeRoll(length: number, count: number, now: number): void {
    if (this.active.shouldRoll(this.config, length, this.nextOffset + count - 1, now)) this.roll();
  }

  /** Seals the active segment and starts a new one in memory; the writer creates its
   * file once the sealed one is durable (LogSegment.pending), so a roll does no I/O. */
  private roll(): void {
    const sealed = this.active;
    const created = LogSegment.pending(this.dir, this.nextOffset, this.logger);
    sealed.seal();
    this.writer.rolled(sealed, created);
    if (this.openFiles !== undefined) sealed.attach(this.openFiles);
    this.segments.add(created);
    this.active = created;
    this.snapshotProducersAtRoll();
    this.logger.info({ baseOffset: created.baseOffset, path: created.logPath }, "segment rolled");
  }

  /**
   * Saves the producer state as of the new active segment's base offset (CLUSTER.md
   * section 4: producer state is rebuilt identically on every replica). Without it, a
   * replica that did not close cleanly rebuilds the state from its active segment only
   * and forgets the batches of sealed segments: a retry of such a batch reaching it as
   * the next leader would be appended a second time. Taken now (synchronously, so it is
   * exactly the state at this offset), written in the queue; skipped if the log was
   * truncated or closed meanwhile (truncation removes the file; close writes its own).
   */
  private snapshotProducersAtRoll(): void {
    const snapshot = this.producers.toSnapshot(this.nextOffset);
    const truncations = this.truncations;
    this.queue
      .run(async () => {
        if (this.state !== "open" || this.truncations !== truncations) return;
        await writeFileAtomic(path.join(this.dir, producerSnapshotFile), snapshot, false);
      })
      .catch((err: unknown) => this.logger.warn({ err, dir: this.dir }, "saving the producer snapshot at a roll failed"));
  }

  /** A follower's frame starts at `baseOffset`, above the log end (a compaction gap at
   * the leader, see appendAsFollower): seals the active segment covering the gap and
   * starts the next one at `baseOffset`. */
  private rollOverGap(baseOffset: number): void {
    assert(baseOffset > this.nextOffset, "a gap is rolled over forwards");
    const sealed = this.active;
    const created = LogSegment.pending(this.dir, baseOffset, this.logger);
    sealed.seal();
    sealed.extendTo(baseOffset);
    this.writer.rolled(sealed, created);
    if (this.openFiles !== undefined) sealed.attach(this.openFiles);
    this.segments.add(created);
    this.active = created;
    this.nextOffset = baseOffset;
    this.snapshotProducersAtRoll();
    this.logger.info({ baseOffset, path: created.logPath }, "segment rolled over a compaction gap");
  }

  /** The writer wrote everything below `endOffset` (see WriterHost.written). */
  private onWritten(endOffset: number, segments: ReadonlySet<LogSegment>): void {
    const advanced = endOffset > this.written;
    if (advanced) this.written = endOffset;
    if (!this.replicated) {
      // One broker: written is visible. No allocation on this path (it runs every flush).
      for (const segment of segments) segment.markVisible(segment.writtenSize);
      this.raiseHighWatermark(endOffset);
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

  /**
   * Moves the high watermark up to `offset` (a replicated log: the leader's high
   * watermark, from its followers' log ends), never above the written end and never
   * back. It moves in the steps the writer wrote: an offset between two flushes stops
   * at the earlier one (readers get whole flushes; a follower's log end is always at
   * one). On one broker it follows the written end already and this is a no-op.
   * Returns the high watermark now.
   * @throws InvalidArgumentError BAD_OFFSET when negative
   */
  advanceHighWatermark(offset: bigint): bigint {
    this.checkOpen();
    if (offset < 0n) throw new InvalidArgumentError("BAD_OFFSET", "offset must not be negative");
    const target = offset > BigInt(this.written) ? this.written : Number(offset);
    let reached = -1;
    let n = 0;
    for (; n < this.writtenMarks.length && this.writtenMarks[n].endOffset <= target; n++) {
      for (const { segment, size } of this.writtenMarks[n].sizes) segment.markVisible(size);
      reached = this.writtenMarks[n].endOffset;
    }
    this.writtenMarks.splice(0, n);
    if (reached > this.hw) this.raiseHighWatermark(reached);
    return BigInt(this.hw);
  }

  private raiseHighWatermark(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    if (this.replicated) this.scheduleHighWatermarkCheckpoint();
    this.notifyHighWatermark();
  }

  private notifyHighWatermark(): void {
    this.notify(this.listeners, "high watermark listener failed");
  }

  private notify(listeners: ReadonlySet<() => void>, failure: string): void {
    for (const listener of listeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, failure);
      }
    }
  }

  /** Saves the high watermark at most once per interval while it moves (see
   * highWatermarkCheckpointFile); close saves the last one. */
  private scheduleHighWatermarkCheckpoint(): void {
    if (this.checkpointTimer !== null || this.state !== "open") return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      if (this.state !== "open") return;
      this.queue
        .run(() => this.saveHighWatermark())
        .catch((err: unknown) => this.logger.warn({ err, dir: this.dir }, "high watermark checkpoint failed"));
    }, this.hwCheckpointIntervalMs);
    this.checkpointTimer.unref();
  }

  /** In the queue: writes the checkpoint if the high watermark moved since the last. */
  private async saveHighWatermark(): Promise<void> {
    const hw = this.hw;
    if (hw === this.checkpointedHighWatermark) return;
    await writeFileAtomic(path.join(this.dir, highWatermarkCheckpointFile), Buffer.from(`${hw}\n`), false);
    this.checkpointedHighWatermark = hw;
  }

  /**
   * Open of a replicated log: the high watermark starts at min(checkpoint, log end)
   * (the log start offset without a readable checkpoint), never at the log end: the
   * records above it may still be truncated by the leader (CLUSTER.md section 4). The
   * segments' bytes above it are hidden from readers, and one written mark at the log
   * end makes them visible once the high watermark reaches it.
   */
  private async startHighWatermarkFromCheckpoint(): Promise<void> {
    const bytes = await readFileIfExists(path.join(this.dir, highWatermarkCheckpointFile));
    const text = bytes?.toString("utf8").trim();
    const saved = text !== undefined && /^\d+$/.test(text) ? Number(text) : -1;
    let start = Math.min(Math.max(saved, this.startOffset), this.nextOffset);
    this.checkpointedHighWatermark = saved;
    if (start >= this.nextOffset) return;
    let segment = this.segments.floor(start);
    let cut = await frameBoundary(segment, start);
    if (cut === null) {
      // Inside a frame (a checkpoint from another history): start at the frame's segment base.
      start = Math.max(segment.baseOffset, this.startOffset);
      segment = this.segments.floor(start);
      cut = await frameBoundary(segment, start);
      if (cut === null) ({ start, cut } = { start: segment.baseOffset, cut: { position: 0, maxTimestamp: 0, lastBatchOffset: -1 } });
    }
    const sizes: Array<{ segment: LogSegment; size: number }> = [];
    for (const s of this.segments.toArray()) {
      if (s.baseOffset < segment.baseOffset) continue;
      sizes.push({ segment: s, size: s.writtenSize });
      s.hideFrom(s === segment ? cut.position : 0);
    }
    this.hw = start;
    this.writtenMarks.push({ endOffset: this.nextOffset, sizes });
  }

  /**
   * Record entries from `offset` on (from the next record when compaction removed that
   * offset), below the high watermark: at least one record if any, else at most
   * `maxBytes`; from a single segment. With no record left in [offset, highWatermark),
   * `nextOffset` is where the next one will be.
   * @throws OffsetOutOfRangeError below logStartOffset or above logEndOffset;
   *   CorruptDataError when the first batch needed fails its checksum
   */
  async read(offset: bigint, maxBytes: number, options: ReadOptions = {}): Promise<FetchData> {
    this.checkOpen();
    if (this.truncation !== null) return this.readAfterTruncation(offset, maxBytes, options);
    const target = this.toOffset(offset);
    let from = target;
    let readBytes = 0;
    let found: SegmentRead | null = null;
    while (from < this.hw) {
      if (this.truncation !== null) return this.readAfterTruncation(offset, maxBytes, options); // nothing collected yet
      const segment = this.segments.floor(from);
      const part = await segment.read(from, Math.max(0, maxBytes), this.config.indexIntervalBytes, options.admitLargeRead);
      readBytes += part.readBytes;
      if (part.recordCount > 0) {
        found = part;
        break;
      }
      this.checkOpen(); // segments close once `close` begins
      const next = this.segments.higher(segment.baseOffset); // the rest of `segment` was compacted away
      if (next === null) break;
      from = next.baseOffset;
    }
    return {
      chunks: found === null ? [] : found.chunks,
      bytes: found === null ? 0 : found.bytes,
      recordCount: found === null ? 0 : found.recordCount,
      firstOffset: BigInt(found === null ? target : found.firstOffset),
      nextOffset: BigInt(found === null ? Math.max(target, Math.min(from, this.hw)) : found.nextOffset),
      highWatermark: BigInt(this.hw),
      logStartOffset: BigInt(this.startOffset),
      readBytes,
    };
  }

  private async readAfterTruncation(offset: bigint, maxBytes: number, options: ReadOptions): Promise<FetchData> {
    await this.truncation;
    return this.read(offset, maxBytes, options);
  }

  /** The first offset at or above logStartOffset, below the high watermark, whose record
   * timestamp is >= `timestampMs` (in offset order; timestamps need not be monotonic).
   * @throws CorruptDataError when a damaged batch is met before the answer */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: bigint; timestampMs: number } | null> {
    this.checkOpen();
    // Walks the live list (a compaction may swap a segment object meanwhile).
    for (let segment: LogSegment | null = this.segments.first; segment !== null; segment = this.segments.higher(segment.baseOffset)) {
      if (this.truncation !== null) {
        await this.truncation;
        return this.offsetForTimestamp(timestampMs);
      }
      if (segment.maxTimestamp < timestampMs || segment.nextOffset <= this.startOffset || !segment.isOpen) continue;
      const found = await segment.findOffsetByTimestamp(timestampMs, Math.max(this.startOffset, segment.baseOffset));
      if (found !== null) return { offset: BigInt(found.offset), timestampMs: found.timestampMs };
      this.checkOpen();
    }
    return null;
  }

  /**
   * Advances logStartOffset to `offset` (persisted before it takes effect) and deletes
   * the sealed segments entirely below it. Lower offsets are a no-op.
   * @throws OffsetOutOfRangeError above the high watermark; InvalidArgumentError if negative
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.checkOpen();
    if (offset < 0n) throw new InvalidArgumentError("BAD_OFFSET", "offset must not be negative");
    if (offset > BigInt(this.hw)) throw new OffsetOutOfRangeError(offset, BigInt(this.startOffset), BigInt(this.hw));
    const target = Number(offset);
    return this.queue.run(async () => {
      this.checkOpen();
      if (target > this.hw) throw new OffsetOutOfRangeError(offset, BigInt(this.startOffset), BigInt(this.hw)); // truncated meanwhile
      if (target > this.startOffset) {
        await writeFileAtomic(path.join(this.dir, logStartOffsetFile), Buffer.from(`${target}\n`), true);
        this.startOffset = target;
        await this.deleteSegments((s) => s.nextOffset <= target, "logStartOffset");
      }
      return BigInt(this.startOffset);
    });
  }

  /**
   * For cleanupPolicy "delete": deletes the oldest sealed segments whose newest record is
   * older than retentionMs (or that compaction emptied), then while the log exceeds
   * retentionBytes; only segments below the high watermark. When every segment, the
   * active one included, is past retentionMs, rolls first (Kafka). For "compact": runs
   * `compact` instead. Then, for both, deletes the segments below logStartOffset.
   * Returns how many segments were deleted.
   */
  async applyRetention(nowMs: number): Promise<number> {
    this.checkOpen();
    const compact = this.config.cleanupPolicy === "compact";
    const compacted = compact ? (await this.compact(nowMs)).segmentsDeleted : 0;
    return this.queue.run(async () => {
      this.checkOpen();
      const { retentionMs, retentionBytes } = this.config;
      let deleted = compacted;
      if (!compact && retentionMs >= 0) {
        const expired = (s: LogSegment): boolean => (s.size > 0 ? nowMs - s.maxTimestamp > retentionMs : s.sealed);
        if (this.segments.every(expired)) this.roll();
        await this.writer.flush(false);
        deleted += await this.deleteSegments(expired, "retentionMs");
      }
      if (!compact && retentionBytes >= 0) {
        let excess = this.segments.sizeBytes - retentionBytes;
        deleted += await this.deleteSegments((s) => {
          if (excess < s.size) return false;
          excess -= s.size;
          return true;
        }, "retentionBytes");
      }
      deleted += await this.deleteSegments((s) => s.nextOffset <= this.startOffset, "logStartOffset");
      return deleted;
    });
  }

  /**
   * Compacts the sealed segments: keeps the newest record per key (tombstones until
   * deleteRetentionMs past their segment's newest record at `nowMs`), see log-cleaner.ts.
   * Runs in the background of appends and reads; passes run one at a time. Also for a
   * log whose cleanupPolicy is "delete" when called directly.
   * @throws UnavailableError LOG_CLOSED, STORAGE_ERROR; StorageFullError
   */
  async compact(nowMs: number): Promise<CompactionResult> {
    this.checkOpen();
    const { deleteRetentionMs, indexIntervalBytes } = this.config;
    return this.cleaner.clean(nowMs, deleteRetentionMs, indexIntervalBytes).catch((err: unknown) => Promise.reject(storageError(err)));
  }

  /** Deletes the longest prefix of sealed, fully committed segments matching `predicate`. */
  private async deleteSegments(predicate: (s: LogSegment) => boolean, reason: string): Promise<number> {
    const doomed: LogSegment[] = [];
    while (this.segments.count > 1) {
      const s = this.segments.first;
      if (s === this.active || s.nextOffset > this.hw || s.visibleSize < s.size || !predicate(s)) break;
      doomed.push(this.segments.removeFirst());
      this.writer.forget(s);
    }
    if (doomed.length === 0) return 0;
    this.startOffset = Math.max(this.startOffset, this.segments.first.baseOffset);
    for (const s of doomed) {
      await s.delete();
      this.logger.info({ baseOffset: s.baseOffset, path: s.logPath, reason }, "segment deleted");
    }
    return doomed.length;
  }

  /** Calls `listener` (synchronously, no arguments) whenever the high watermark advances,
   * and after a truncation (readers past the new end must hear); returns the
   * unsubscribe function. */
  onHighWatermark(listener: () => void): () => void {
    const wrapped = (): void => listener(); // one subscription per call, even for the same function
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  /** Applies a new config from the next append on. @throws InvalidArgumentError INVALID_LOG_CONFIG */
  updateConfig(config: LogConfig): void {
    this.config = validateLogConfig(config);
    this.writer.configure(this.config.fsyncPolicy, this.config.flushIntervalMs);
  }

  /** Writes and fsyncs everything appended so far. */
  async flush(): Promise<void> {
    this.checkOpen();
    return this.queue.run(() => this.writer.flush(true));
  }

  /** Flushes, fsyncs, saves the active segment's indexes and the producer snapshot,
   * writes the clean-shutdown marker (log-loader.ts) and closes the files. Idempotent; every other call afterwards throws LOG_CLOSED. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.state = "closing";
    clearInterval(this.idleTailTimer);
    if (this.checkpointTimer !== null) clearTimeout(this.checkpointTimer);
    this.writer.stop();
    this.closing = this.queue.run(async () => {
      try {
        await this.writer.flush(true);
        this.active.finishTimeIndex();
        await this.active.saveIndexes();
        const snapshot = this.producers.toSnapshot(this.nextOffset);
        await writeFileAtomic(path.join(this.dir, producerSnapshotFile), snapshot, false);
        if (this.replicated) await this.saveHighWatermark();
        // Last: everything above is in place (the segments fsynced by the flush).
        await writeFileAtomic(path.join(this.dir, cleanShutdownFile), Buffer.alloc(0), true);
      } finally {
        for (const segment of this.segments.toArray()) await segment.close();
        this.state = "closed";
        this.logger.info({ dir: this.dir, logEndOffset: this.nextOffset }, "log closed");
      }
    });
    return this.closing;
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    try {
      await this.close();
    } finally {
      await fs.promises.rm(this.dir, { recursive: true, force: true });
      this.logger.info({ dir: this.dir }, "log deleted");
    }
  }

  private checkOpen(): void {
    if (this.state !== "open") throw new UnavailableError("LOG_CLOSED", "the log is closed");
  }

  private checkAppendable(): void {
    this.checkOpen();
    if (this.writer.failure !== null) throw this.writer.failure;
    if (this.truncation !== null) throw new UnavailableError("LOG_TRUNCATING", "the log is being truncated");
    if (this.truncationFailure !== null) throw this.truncationFailure;
  }

  private toOffset(offset: bigint): number {
    if (offset < BigInt(this.startOffset) || offset > BigInt(this.nextOffset)) {
      throw new OffsetOutOfRangeError(offset, BigInt(this.startOffset), BigInt(this.nextOffset));
    }
    return Number(offset);
  }
}

/**
 * The leader epochs of a log just loaded: read (or rebuilt from the frames), cut at the
 * log end, and (one broker only) after an unclean shutdown a new epoch one above the
 * largest ever written, starting at the log end; saved durably before any append can
 * carry it. A replicated log starts no epoch here: in a cluster only the controller
 * creates epochs (CLUSTER.md section 4), given to the leader by `startLeaderEpoch`.
 */
async function openLeaderEpochs(dir: string, loaded: LoadedLog, logger: Logger, replicated: boolean): Promise<LeaderEpochCache> {
  const logEndOffset = loaded.segments[loaded.segments.length - 1].nextOffset;
  let epochs = await LeaderEpochCache.load(dir);
  let changed = epochs === null;
  if (epochs === null) {
    epochs = await LeaderEpochCache.rebuildFromSegments(dir, loaded.segments);
    if (epochs.latestEpoch >= 0) logger.warn({ dir, epochs: epochs.toArray().length }, "leader epoch checkpoint rebuilt from the log");
  }
  const largest = epochs.latestEpoch;
  const entries = epochs.toArray().length;
  epochs.truncateFromEnd(logEndOffset + 1); // epochs whose records were all lost
  changed ||= epochs.toArray().length !== entries;
  let epoch = largest;
  if (replicated) {
    // One owner for epoch numbers in a cluster: the controller (startLeaderEpoch).
    if (changed) await epochs.save();
    return epochs;
  }
  if (largest < 0 && loaded.cleanShutdown) epoch = 0;
  else if (!loaded.cleanShutdown || epochs.latestEpoch !== largest) epoch = Math.max(largest, 0) + 1;
  if (epoch !== epochs.latestEpoch) {
    epochs.assign(epoch, logEndOffset);
    changed = true;
    if (epoch > 0) logger.warn({ dir, leaderEpoch: epoch, logEndOffset }, "unclean shutdown: new leader epoch");
  }
  if (changed) await epochs.save();
  return epochs;
}

/** Where `segment`'s frames hold `offset`: the start of the frame whose base offset it is
 * (or the end of the frames when it is past them) and the largest timestamp and last
 * base offset of the frames walked before it (from the offset-index entry below
 * `offset`); null when `offset` is inside a frame.
 * @throws CorruptDataError when a damaged frame comes first */
async function frameBoundary(segment: LogSegment, offset: number): Promise<{ position: number; maxTimestamp: number; lastBatchOffset: number } | null> {
  if (offset <= segment.baseOffset) return { position: 0, maxTimestamp: -Infinity, lastBatchOffset: -1 };
  const start = segment.offsetIndex.lookup(offset - 1); // its frame starts below `offset`
  let maxTimestamp = -Infinity;
  let lastBatchOffset = -1;
  let inside = false;
  const scan = await scanFrames(segment.fd, start.position, segment.size, start.offset, { verify: false }, (h) => {
    if (h.baseOffset >= offset) return false;
    if (h.baseOffset + h.lastOffsetDelta >= offset) {
      inside = true;
      return false;
    }
    if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
    lastBatchOffset = h.baseOffset;
    return true;
  });
  if (inside) return null;
  if (scan.problem !== null) throw new CorruptDataError(`segment ${segment.baseOffset} has a damaged batch at position ${scan.position}: ${scan.problem}`);
  return { position: scan.position, maxTimestamp, lastBatchOffset };
}
