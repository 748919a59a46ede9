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
 *
 * Cut as Kafka cuts its log layer: this class owns the state and the order of steps; the
 * written end and high watermark live in high-watermark.ts, consumer reads in
 * record-reader.ts, replication reads in frame-reader.ts, a follower's frame checks in
 * follower-frames.ts, truncation's file work in log-truncation.ts, opening the leader
 * epochs in open-leader-epochs.ts.
 */
import assert from "node:assert";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { CorruptDataError, InvalidArgumentError, OffsetOutOfRangeError, UnavailableError } from "../errors.js";
import type { AppendOptions, AppendResult } from "./append-result.js";
import { frameBaseOffset, frameHeaderBytes, frameLastOffsetDelta, frameLength, frameMaxTimestamp, maxFrameBytes, writeFrameHeader } from "./batch-frame.js";
import type { FetchData, ReadOptions } from "./fetch-data.js";
import { storageError, writeFileAtomic } from "./file-io.js";
import { checkFollowerFrames } from "./follower-frames.js";
import { frameBoundary } from "./frame-boundary.js";
import { readFrames } from "./frame-reader.js";
import { defaultHighWatermarkCheckpointIntervalMs, HighWatermark } from "./high-watermark.js";
import { openLeaderEpochs } from "./open-leader-epochs.js";
import { LogCleaner, type CompactionResult } from "./log-cleaner.js";
import { validateLogConfig, type LogConfig, type ResolvedLogConfig } from "./log-config.js";
import { LeaderEpochCache, type EpochEntry } from "./leader-epoch-cache.js";
import { cleanShutdownFile, loadLog, logStartOffsetFile, producerSnapshotFile } from "./log-loader.js";
import { LogSegment } from "./log-segment.js";
import { LogSegments } from "./log-segments.js";
import { restartFiles, truncateFiles, writeTruncationMarker } from "./log-truncation.js";
import { LogWriter } from "./log-writer.js";
import type { OpenSegmentFiles } from "./open-segment-files.js";
import type { ProducerBatch, ProducerStateManager } from "./producer-state.js";
import { recordEntriesLength, writeRecordEntries, type EntriesStats } from "./record-entry.js";
import { findOffsetForTimestamp, readRecords, type RecordSource } from "./record-reader.js";
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

const maxInt64 = 0x7fffffffffffffffn;
/** How often an idle partition is checked for a tail buffer to let go of. */
const idleTailCheckMs = 2000;

export { highWatermarkCheckpointFile } from "./high-watermark.js";

export class Log {
  private state: "open" | "closing" | "closed" = "open";
  /** Counts truncations and restarts, so a producer snapshot taken at a roll before one is not written after it. */
  private truncations = 0;
  private closing: Promise<void> | null = null;
  private readonly idleTailTimer: NodeJS.Timeout;
  private segments: LogSegments;
  private active: LogSegment;
  private nextOffset: number;
  /** The written end and the high watermark (high-watermark.ts). */
  private readonly hwm: HighWatermark;
  /** Kept under its old name for test/log/log-replication.test.ts, which checks the
   * bound on the marks through it (private: not part of Log's API). */
  private get writtenMarks(): ReadonlyArray<unknown> {
    return this.hwm.marks;
  }
  private startOffset: number;
  private readonly stats: EntriesStats = { firstTimestamp: 0, maxTimestamp: 0 };
  private readonly queue = new SerialQueue();
  private readonly writer: LogWriter;
  private readonly cleaner: LogCleaner;
  /** What readers see of this log, read again at each step (record-reader.ts). */
  private readonly recordSource: RecordSource = {
    segments: () => this.segments,
    highWatermark: () => this.hwm.offset,
    logStartOffset: () => this.startOffset,
    truncating: () => this.truncation !== null,
    checkOpen: () => this.checkOpen(),
    indexIntervalBytes: () => this.config.indexIntervalBytes,
  };
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
    hwCheckpointIntervalMs = defaultHighWatermarkCheckpointIntervalMs,
  ) {
    this.epoch = Math.max(0, epochs.latestEpoch);
    this.segments = new LogSegments(segments);
    if (openFiles !== undefined) for (const segment of segments) if (segment.sealed) segment.attach(openFiles);
    this.active = this.segments.last;
    this.nextOffset = this.active.nextOffset;
    this.hwm = new HighWatermark(
      { dir, logger, queue: this.queue, replicated, checkpointIntervalMs: hwCheckpointIntervalMs, isOpen: () => this.state === "open" },
      this.nextOffset,
    );
    this.startOffset = logStartOffset;
    const host = {
      logEndOffset: () => this.nextOffset,
      written: (endOffset: number, segments: ReadonlySet<LogSegment>) => this.hwm.onWritten(endOffset, segments),
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
      snapshot: () => ({ segments: this.segments.toArray(), logStartOffset: this.startOffset, highWatermark: this.hwm.offset }),
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
      options.highWatermarkCheckpointIntervalMs,
    );
    if (options.replicated === true) {
      try {
        await log.hwm.startFromCheckpoint(log.segments, log.startOffset, log.nextOffset);
      } catch (err) {
        await log.close().catch(() => undefined);
        throw err;
      }
    }
    options.logger.info(
      { dir: options.dir, logStartOffset: log.startOffset, logEndOffset: log.nextOffset, highWatermark: log.hwm.offset, segments: log.segments.count, leaderEpoch: log.epoch },
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
    const target = this.toOffset(offset);
    const source = { segments: () => this.segments, writtenEnd: () => this.hwm.writtenEnd, checkOpen: () => this.checkOpen() };
    const read = await readFrames(source, target, maxBytes);
    return { frames: read.frames, nextOffset: BigInt(read.nextOffset) };
  }

  /** Calls `listener` (synchronously, no arguments) whenever the written end advances
   * (a leader: new frames to send, its own log end for the high watermark); returns
   * the unsubscribe function. */
  onWrittenEnd(listener: () => void): () => void {
    return this.hwm.onWrittenEnd(listener);
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
    return BigInt(this.hwm.writtenEnd);
  }
  /** Readers see only the records below it. */
  get highWatermark(): bigint {
    return BigInt(this.hwm.offset);
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
    // Compared with the epoch of the last record: an epoch started at the log end that
    // holds no record (this replica led it and wrote nothing) gives way to the leader's.
    const lastEpoch = this.nextOffset > 0 ? this.epochs.epochForOffset(this.nextOffset - 1) : -1;
    checkFollowerFrames(frames, this.nextOffset, lastEpoch, this.config.cleanupPolicy === "compact");
    const now = this.clock.nowMs();
    const baseOffset = this.nextOffset;
    let durable: Promise<void> = Promise.resolve();
    for (let at = 0; at < frames.length; ) {
      const length = frameLength(frames, at);
      const frameBase = frameBaseOffset(frames, at);
      if (frameBase > this.nextOffset) this.roll(frameBase);
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
        await this.truncating(() => this.truncateInQueue(target));
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
        await this.truncating(() => this.restartInQueue(target));
      }),
    );
  }

  /** In the queue: runs `work` as a truncation (appends fail with LOG_TRUNCATING, reads
   * wait for it), then calls the high watermark listeners (readers past the new end must
   * hear). Refused while an earlier truncation's file work is unfinished. */
  private async truncating(work: () => Promise<void>): Promise<void> {
    if (this.truncationFailure !== null) throw this.truncationFailure;
    let done!: () => void;
    this.truncation = new Promise<void>((resolve) => (done = resolve));
    try {
      await work();
    } finally {
      this.truncation = null;
      done();
      this.hwm.notifyHighWatermark();
    }
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
    this.nextOffset = this.startOffset = target;
    this.hwm.resetTo(target);
    this.truncations++;
    this.producers.truncateFrom(0);
    this.epochs.truncateFromEnd(0);
    this.epoch = 0;
    this.logger.warn({ dir: this.dir, logStartOffset: target, segmentsRemoved: old.length }, "log emptied: starting at the leader's log start offset");
    try {
      await restartFiles(this.dir, old, target, this.epochs, () => (this.epochsUnsaved = false));
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
    const marker = await writeTruncationMarker(this.dir, target);
    // In memory, in one step: the log is the truncated one from here on.
    segment.truncateInMemory(cut.position, target, cut.maxTimestamp, cut.lastBatchOffset);
    const removed = this.segments.removeAfter(segment);
    for (const s of removed) this.writer.forget(s);
    this.active = segment;
    this.nextOffset = target;
    this.truncations++;
    this.hwm.truncateTo(target);
    this.producers.truncateFrom(target);
    this.epochs.truncateFromEnd(target);
    this.epoch = Math.max(0, this.epochs.latestEpoch);
    this.logger.warn({ dir: this.dir, truncateTo: target, segmentsRemoved: removed.length }, "log truncated");
    // On disk, in an order a crash cannot break (see truncateTo).
    try {
      await truncateFiles(this.dir, marker, removed, segment, this.epochs, () => (this.epochsUnsaved = false));
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
      durable: this.writer.durableAt(batch.lastOffset + 1, this.hwm.writtenEnd),
    };
  }

  /** Rolls before an append that would overflow the active segment (unless it is empty),
   * when the segment is segmentMs old, or when its index or relative offsets are full. */
  private maybeRoll(length: number, count: number, now: number): void {
    if (this.active.shouldRoll(this.config, length, this.nextOffset + count - 1, now)) this.roll();
  }

  /** Seals the active segment and starts a new one in memory at `baseOffset`; the writer
   * creates its file once the sealed one is durable (LogSegment.pending), so a roll does
   * no I/O. A `baseOffset` above the log end is a follower's frame past a compaction gap
   * at the leader (see appendAsFollower): the sealed segment is extended to cover it. */
  private roll(baseOffset = this.nextOffset): void {
    assert(baseOffset >= this.nextOffset, "a gap is rolled over forwards");
    const gap = baseOffset > this.nextOffset;
    const sealed = this.active;
    const created = LogSegment.pending(this.dir, baseOffset, this.logger);
    sealed.seal();
    if (gap) sealed.extendTo(baseOffset);
    this.writer.rolled(sealed, created);
    if (this.openFiles !== undefined) sealed.attach(this.openFiles);
    this.segments.add(created);
    this.active = created;
    this.nextOffset = baseOffset;
    this.snapshotProducersAtRoll();
    this.logger.info({ baseOffset, path: created.logPath }, gap ? "segment rolled over a compaction gap" : "segment rolled");
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
    return BigInt(this.hwm.advance(offset));
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
    const read = await readRecords(this.recordSource, target, maxBytes, options);
    return read ?? this.readAfterTruncation(offset, maxBytes, options);
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
    const found = await findOffsetForTimestamp(this.recordSource, timestampMs);
    if (found === null) {
      await this.truncation;
      return this.offsetForTimestamp(timestampMs);
    }
    return found === "none" ? null : { offset: BigInt(found.offset), timestampMs: found.timestampMs };
  }

  /**
   * Advances logStartOffset to `offset` (persisted before it takes effect) and deletes
   * the sealed segments entirely below it. Lower offsets are a no-op.
   * @throws OffsetOutOfRangeError above the high watermark; InvalidArgumentError if negative
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.checkOpen();
    if (offset < 0n) throw new InvalidArgumentError("BAD_OFFSET", "offset must not be negative");
    if (offset > BigInt(this.hwm.offset)) throw new OffsetOutOfRangeError(offset, BigInt(this.startOffset), BigInt(this.hwm.offset));
    const target = Number(offset);
    return this.queue.run(async () => {
      this.checkOpen();
      if (target > this.hwm.offset) throw new OffsetOutOfRangeError(offset, BigInt(this.startOffset), BigInt(this.hwm.offset)); // truncated meanwhile
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
      if (s === this.active || s.nextOffset > this.hwm.offset || s.visibleSize < s.size || !predicate(s)) break;
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
    return this.hwm.onHighWatermark(listener);
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
    this.hwm.stop();
    this.writer.stop();
    this.closing = this.queue.run(async () => {
      try {
        await this.writer.flush(true);
        this.active.finishTimeIndex();
        await this.active.saveIndexes();
        const snapshot = this.producers.toSnapshot(this.nextOffset);
        await writeFileAtomic(path.join(this.dir, producerSnapshotFile), snapshot, false);
        if (this.replicated) await this.hwm.save();
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
