/**
 * One segment of a partition log: `<baseOffset, 20 digits>.log` (a sequence of batch
 * frames, see batch-frame.ts) with its sparse `.index` and `.timeindex`.
 *
 * Positions, all in bytes from the start of the file, never decrease (except in a
 * truncation, `truncateInMemory`) and satisfy
 *   visibleSize <= writtenSize <= size, syncedSize <= writtenSize
 * size: appended (the in-memory tail included); writtenSize: handed to the OS by the
 * LogWriter; syncedSize: fsynced; visibleSize: below the log's high watermark, the
 * only part readers may see (Log.advanceHighWatermark moves it). Frames never straddle
 * two tail buffers.
 *
 * The segment owns this state: its fields are private and each change is a method
 * (Kafka's LogSegment). The LogWriter marks bytes written and synced (`markWritten`,
 * `markSynced`), the Log marks them visible (`markVisible`) and asks `shouldRoll`;
 * recovery and compaction use `replaceIndexes`, `sealAt`, `recoverTo`; a truncation
 * `truncateInMemory`.
 *
 * The tail: appends are copied into `tail`, a buffer mirroring the file from
 * `tailPosition`. A tail buffer is never written again below its `tailLength`: when a
 * frame does not fit, the unwritten rest of the old tail is queued for the writer and a
 * new buffer is allocated, so slices handed to readers stay valid forever. Only a
 * full-size tail that no reader took slices of (`read` marks it lent) is reused, once
 * its bytes are in the file (`recycleWritten`). Appends write through `appendTail`.
 *
 * Concurrency: appends and the tail are touched synchronously by `Log.append`; file
 * writes, fsyncs and index saves come from the Log's serial queue only; reads run
 * concurrently with both and hold a reference (`acquire`) so that `close` waits for
 * them before the fd number can be reused. Offsets are JS numbers below 2^53.
 *
 * Open files: a sealed segment attached to an OpenSegmentFiles (`attach`) may have its
 * file closed while idle (`closeIdleFile`: no read holds it, every byte written and
 * fsynced, so neither the writer nor a reader has the fd number in hand); the `fd`
 * getter reopens it on the next use. Closing and reopening are synchronous, so they
 * never interleave with anything else on this thread.
 */
import assert from "node:assert";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { CorruptDataError } from "../errors.js";
import { frameHeaderBytes, type BatchHeader } from "./batch-frame.js";
import { collectEntries, type ReadCursor, type SegmentRead } from "./entry-collector.js";
import { closeFd, fdatasync, fsyncDir, ftruncate, openFd, pread, unlinkIfExists } from "./file-io.js";
import { scanFrames } from "./frame-scanner.js";
import { OffsetIndex, defaultMaxIndexEntries } from "./offset-index.js";
import type { OpenSegmentFiles } from "./open-segment-files.js";
import { entryLengthAt, entryOffsetAt, entryTimestamp } from "./record-entry.js";
import { TimeIndex } from "./time-index.js";

const minTailBytes = 64 * 1024;
const maxTailBytes = 4 * 1024 * 1024;
const minReadBytes = 16 * 1024;
/** Full-size tail buffers to reuse (see `recycleWritten`): fewer large allocations, which
 * drive V8's full GCs under a heavy produce load. Shared by all segments (one thread). */
const tailPool: Buffer[] = [];
const maxPooledTails = 4;

export class LogSegment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  #offsetIndex: OffsetIndex;
  #timeIndex: TimeIndex;
  #size = 0;
  #writtenSize = 0;
  #syncedSize = 0;
  #visibleSize = 0;
  #nextOffset: number;
  #maxTimestamp = -Infinity;
  #rollingBaseMs: number | null = null;
  #sealed = false;
  #tailPosition = 0;
  #tailLength = 0;

  get offsetIndex(): OffsetIndex {
    return this.#offsetIndex;
  }
  get timeIndex(): TimeIndex {
    return this.#timeIndex;
  }
  /** Bytes appended (the in-memory tail included). */
  get size(): number {
    return this.#size;
  }
  /** Bytes handed to the OS by the LogWriter (`markWritten`). */
  get writtenSize(): number {
    return this.#writtenSize;
  }
  /** Bytes fsynced (`markSynced`). */
  get syncedSize(): number {
    return this.#syncedSize;
  }
  /** Bytes below the log's high watermark: what readers may see (`markVisible`). */
  get visibleSize(): number {
    return this.#visibleSize;
  }
  /** One past the last offset appended (or covered: see `extendTo`). */
  get nextOffset(): number {
    return this.#nextOffset;
  }
  /** Largest record timestamp (-Infinity when empty). */
  get maxTimestamp(): number {
    return this.#maxTimestamp;
  }
  /** When the first append happened, for segmentMs (after recovery: the first frame's
   * maxTimestamp, like Kafka's rollingBasedTimestamp); null while empty. */
  get rollingBaseMs(): number | null {
    return this.#rollingBaseMs;
  }
  /** Sealed by a roll: no more appends. */
  get sealed(): boolean {
    return this.#sealed;
  }
  /** The tail buffer for `Log.append` to write into, right after `reserve`. */
  get appendTail(): Buffer {
    return this.tailBuffer as Buffer;
  }
  private tailBuffer: Buffer | null = null;
  private tailLent = false;
  /** Retired full-size tail buffers no reader has seen, with the file position their
   * bytes end at: once written up to there, they go back to `tailPool`. */
  private recyclable: Array<{ buffer: Buffer; end: number }> = [];
  tailPosition = 0;
  tailLength = 0;
  private tailWritten = 0;
  private nextTailBytes = minTailBytes;
  /** `size` at the previous `dropIdleTail` call. */
  private sizeAtIdleCheck = -1;
  private retired: Buffer[] = [];
  private bytesSinceIndexEntry = 0;
  private forceIndexEntry = false;
  private lastBatchOffset = -1;
  private refs = 0;
  /** Resolved when `refs` drops to 0 (`close`, `drained`). */
  private idleWaiters: Array<() => void> = [];
  private closing = false;
  /** Set once `close` has waited for the reads and closes the file for good. */
  private closed = false;
  /** The open file, or -1 while closed by `closeIdleFile` or for good by `close`. */
  private file: number;
  /** False while a `pending` segment's file does not exist yet: -1 is then no closed file. */
  private created: boolean;
  /** The bound on open sealed-segment files this segment counts against, once attached. */
  private openFiles: OpenSegmentFiles | null = null;

  private constructor(
    dir: string,
    readonly baseOffset: number,
    fd: number,
    private readonly logger: Logger,
  ) {
    this.file = fd;
    this.created = fd >= 0;
    this.logPath = path.join(dir, LogSegment.fileName(baseOffset, ".log"));
    this.indexPath = path.join(dir, LogSegment.fileName(baseOffset, ".index"));
    this.timeIndexPath = path.join(dir, LogSegment.fileName(baseOffset, ".timeindex"));
    this.#offsetIndex = new OffsetIndex(baseOffset);
    this.#timeIndex = new TimeIndex(baseOffset, defaultMaxIndexEntries + 1); // + the entry added on seal
    this.#nextOffset = baseOffset;
  }

  /** `00000000000000000042.log`: 20 digits so that `ls` sorts segments (Kafka's LogFileUtils). */
  static fileName(baseOffset: number, suffix: string): string {
    return `${String(baseOffset).padStart(20, "0")}${suffix}`;
  }

  /** The base offset a `.log` file name stands for, or null. */
  static parseFileName(name: string): number | null {
    const m = /^(\d{20})\.log$/.exec(name);
    return m === null ? null : Number(m[1]);
  }

  /** Creates a new empty segment file, synchronously: a roll happens inside `append`.
   * @throws the fs error (the caller maps ENOSPC) */
  static create(dir: string, baseOffset: number, logger: Logger): LogSegment {
    const fd = fs.openSync(path.join(dir, LogSegment.fileName(baseOffset, ".log")), "wx+");
    return new LogSegment(dir, baseOffset, fd, logger);
  }

  /**
   * A new segment whose file does not exist yet (a roll): appends go to its tail in
   * memory, and the LogWriter creates the file (`createFile`) only once every earlier
   * segment is fdatasynced with its indexes saved, so that on disk a segment never
   * exists beside a predecessor that could still lose writes (issue 14: a power loss
   * must leave a suffix missing, never a hole). Until then `fd` is -1 and nothing of it
   * is written or committed, so reads come from the tail only.
   */
  static pending(dir: string, baseOffset: number, logger: Logger): LogSegment {
    return new LogSegment(dir, baseOffset, -1, logger);
  }

  /** False for a `pending` segment until the writer creates its file. */
  get hasFile(): boolean {
    return this.created;
  }

  /** Creates the file of a `pending` segment (the writer, in the Log's serial queue).
   * @throws the fs error */
  async createFile(): Promise<void> {
    assert(!this.created && !this.closing, "creates the file of a pending segment only");
    this.file = await openFd(this.logPath, "wx+");
    this.created = true;
  }

  /** Wraps an existing segment file opened by the caller; recovery fills in the rest. */
  static fromFile(dir: string, baseOffset: number, fd: number, size: number, logger: Logger): LogSegment {
    const segment = new LogSegment(dir, baseOffset, fd, logger);
    segment.#size = segment.#writtenSize = segment.#syncedSize = segment.#visibleSize = size;
    segment.#tailPosition = size;
    return segment;
  }

  /**
   * Whether the log must roll before appending a frame of `bytes` bytes whose last
   * offset is `lastOffset` at `nowMs` (Kafka's LogSegment.shouldRoll(RollParams)): never
   * while empty; when the frame would take the segment past segmentBytes, when its first
   * append is segmentMs old, when its offset index is full, or when the frame's offsets
   * would leave the int32 range relative to baseOffset.
   */
  shouldRoll(config: Readonly<{ segmentBytes: number; segmentMs: number }>, bytes: number, lastOffset: number, nowMs: number): boolean {
    if (this.#size === 0) return false;
    return (
      this.#size + bytes > config.segmentBytes ||
      nowMs - (this.#rollingBaseMs ?? nowMs) >= config.segmentMs ||
      this.#offsetIndex.isFull ||
      lastOffset - this.baseOffset > 0x7fffffff
    );
  }

  /** The writer handed `bytes` more of the tail to the OS; retired tail buffers that no
   * reader saw and whose bytes are all in the file go back to the pool. */
  markWritten(bytes: number): void {
    assert(this.#writtenSize + bytes <= this.#size, "written beyond what was appended");
    this.#writtenSize += bytes;
    this.recycleWritten();
  }

  /** An fdatasync that began once `position` bytes were written has returned. */
  markSynced(position: number): void {
    assert(position <= this.#writtenSize, "synced beyond what was written");
    if (position > this.#syncedSize) this.#syncedSize = position;
  }

  /** Readers may see the first `position` bytes (the log's high watermark moved). */
  markVisible(position: number): void {
    assert(position <= this.#writtenSize, "visible beyond what was written");
    if (position > this.#visibleSize) this.#visibleSize = position;
  }

  /** Hides the bytes from `position` on from readers again: a replicated log opened
   * below its log end (Log: the high watermark starts at its checkpoint). Only on open,
   * before any read; `markVisible` shows them later. */
  hideFrom(position: number): void {
    assert(position >= 0 && position <= this.#writtenSize, "hidden from inside the written bytes");
    if (position < this.#visibleSize) this.#visibleSize = position;
  }

  /** A sealed segment found on disk (recovery) or written by compaction: no more
   * appends, and it covers the offsets up to `endOffset`, its successor's base. */
  sealAt(endOffset: number): void {
    this.#sealed = true;
    this.#nextOffset = endOffset;
  }

  /** This sealed segment now also covers its removed successor's offsets, up to
   * `endOffset` (compaction emptied the successor; LogSegments.replace). */
  extendTo(endOffset: number): void {
    assert(this.#sealed && endOffset >= this.#nextOffset, "only a sealed segment extends, forwards");
    this.#nextOffset = endOffset;
  }

  /** Puts indexes loaded or rebuilt by recovery in place; `maxTimestamp` is then the
   * time index's last (an overestimate after a truncated tail, which is safe: TimeIndex). */
  replaceIndexes(offsetIndex: OffsetIndex, timeIndex: TimeIndex): void {
    this.#offsetIndex = offsetIndex;
    this.#timeIndex = timeIndex;
    this.#maxTimestamp = timeIndex.lastTimestamp;
  }

  /**
   * Recovery's end for the active segment: its sound frames end at `position` (the
   * file was cut there) with offsets up to `nextOffset`; everything in it is written,
   * synced (recovery fdatasyncs it) and visible. `rollingBaseMs`: the first frame's
   * maxTimestamp when the scan did not start at the first frame (null otherwise).
   */
  recoverTo(position: number, nextOffset: number, rollingBaseMs: number | null): void {
    this.#offsetIndex.truncateToPosition(position);
    this.#timeIndex.truncateAfter(nextOffset - 1);
    this.#nextOffset = nextOffset;
    this.#size = this.#writtenSize = this.#syncedSize = this.#visibleSize = position;
    this.#tailPosition = position;
    if (rollingBaseMs !== null) this.#rollingBaseMs = rollingBaseMs;
  }

  /** Makes room in the tail for a frame of `length` bytes; returns where it goes in `tail`. */
  reserve(length: number): number {
    if (this.tailBuffer === null || this.#tailLength + length > this.tailBuffer.length) {
      this.retireTail();
      const bytes = Math.max(length, this.nextTailBytes);
      this.tailBuffer = (bytes === maxTailBytes ? tailPool.pop() : undefined) ?? Buffer.allocUnsafeSlow(bytes);
      this.tailLent = false;
      this.nextTailBytes = Math.min(maxTailBytes, this.nextTailBytes * 2);
      this.#tailPosition = this.#size;
      this.#tailLength = 0;
      this.tailWritten = 0;
      this.forceIndexEntry = true; // so that reads of the new tail start inside it
    }
    return this.#tailLength;
  }

  /** Accounts for a frame just written into the tail at `reserve`'s answer. */
  appended(length: number, baseOffset: number, lastOffset: number, maxTimestamp: number, nowMs: number, indexIntervalBytes: number): void {
    if (this.#rollingBaseMs === null) this.#rollingBaseMs = nowMs;
    this.indexFrame(this.#size, length, baseOffset, maxTimestamp, indexIntervalBytes);
    this.#tailLength += length;
    this.#size += length;
    this.#nextOffset = lastOffset + 1;
  }

  /** Accounts for a sound frame found on disk by recovery or an index rebuild. */
  replayFrame(header: BatchHeader, position: number, indexIntervalBytes: number): void {
    if (position === 0) this.#rollingBaseMs = header.maxTimestamp;
    this.indexFrame(position, header.frameLength, header.baseOffset, header.maxTimestamp, indexIntervalBytes);
    this.#nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
  }

  private indexFrame(position: number, length: number, baseOffset: number, maxTimestamp: number, indexIntervalBytes: number): void {
    if (maxTimestamp > this.#maxTimestamp) this.#maxTimestamp = maxTimestamp;
    if (this.bytesSinceIndexEntry > indexIntervalBytes || this.forceIndexEntry) {
      this.#offsetIndex.append(baseOffset, position);
      this.#timeIndex.maybeAppend(this.#maxTimestamp, baseOffset);
      this.bytesSinceIndexEntry = 0;
      this.forceIndexEntry = false;
    }
    this.bytesSinceIndexEntry += length;
    this.lastBatchOffset = baseOffset;
  }

  /** Bytes not yet handed to the writer, oldest first; marks them taken. */
  takeUnwritten(): Buffer[] {
    const buffers = this.retired;
    this.retired = [];
    if (this.tailBuffer !== null && this.#tailLength > this.tailWritten) {
      buffers.push(this.tailBuffer.subarray(this.tailWritten, this.#tailLength));
      this.tailWritten = this.#tailLength;
    }
    return buffers;
  }

  /** Retired tail buffers that no reader saw and whose bytes are all in the file go back
   * to the pool (after `markWritten`). */
  private recycleWritten(): void {
    while (this.recyclable.length > 0 && this.recyclable[0].end <= this.#writtenSize) {
      const { buffer } = this.recyclable.shift()!;
      if (tailPool.length < maxPooledTails) tailPool.push(buffer);
    }
  }

  /** Gives back buffers whose write failed; they are written first next time. */
  requeue(buffers: Buffer[]): void {
    this.retired = buffers.concat(this.retired);
  }

  /** Ends appends to this segment (a roll): the tail goes to the writer, the time index
   * gets its final entry so that `maxTimestamp` survives a restart. */
  seal(): void {
    this.#sealed = true;
    this.retireTail();
    this.finishTimeIndex();
  }

  /** Adds the time index entry for the current maxTimestamp (on seal and close). */
  finishTimeIndex(): void {
    if (this.lastBatchOffset >= 0) this.#timeIndex.maybeAppend(this.#maxTimestamp, this.lastBatchOffset);
  }

  /** Saves both indexes. `durable` (a sealed segment, whose `.log` the caller fdatasynced
   * first): each file is fsynced before its rename and the directory after both, so an
   * index found on disk after a power loss describes a `.log` that was synced. */
  async saveIndexes(durable = false): Promise<void> {
    await this.#offsetIndex.save(this.indexPath, durable);
    await this.#timeIndex.save(this.timeIndexPath, durable);
    if (durable) await fsyncDir(path.dirname(this.logPath));
  }

  /**
   * Lets go of the tail buffer of a segment that had no append since the previous call
   * and whose bytes are all written: an idle partition must not pin up to 4 MiB (a
   * broker with many partitions that were busy once held that much per partition).
   * Reads then come from the file (everything committed is in it); readers keep the
   * slices they hold; the next append starts a new, small tail. Synchronous, like
   * appends. Returns true when the tail was dropped.
   */
  dropIdleTail(): boolean {
    const size = this.#size;
    const idle = size === this.sizeAtIdleCheck;
    this.sizeAtIdleCheck = size;
    if (!idle || this.tailBuffer === null || this.#writtenSize !== size || this.retired.length > 0) return false;
    this.retireTail();
    this.recycleWritten();
    this.nextTailBytes = minTailBytes;
    return true;
  }

  private retireTail(): void {
    const tail = this.tailBuffer;
    if (tail === null) return;
    if (this.#tailLength > this.tailWritten) this.retired.push(tail.subarray(this.tailWritten, this.#tailLength));
    if (!this.tailLent && tail.length === maxTailBytes) this.recyclable.push({ buffer: tail, end: this.#tailPosition + this.#tailLength });
    this.tailBuffer = null;
  }

  /**
   * The record entries from `target` on, up to `maxBytes` (at least one record if any),
   * below `visibleSize`, returned as a value (Kafka's FetchDataInfo). Tail data comes from memory, the rest
   * from one positional read (a second only for a frame larger than the first read);
   * frames read from the file are crc-checked. `admitLargeRead` is awaited before a file
   * read larger than `maxBytes` asked for (a batch bigger than that).
   * @throws CorruptDataError when the first frame needed is damaged
   */
  async read(
    target: number,
    maxBytes: number,
    indexIntervalBytes: number,
    admitLargeRead?: (bytes: number) => Promise<Buffer | undefined>,
  ): Promise<SegmentRead> {
    const start = this.#offsetIndex.lookup(target);
    const s: ReadCursor = {
      chunks: [],
      bytes: 0,
      recordCount: 0,
      firstOffset: target,
      nextOffset: target,
      readBytes: 0,
      target,
      maxBytes,
      position: start.position,
      expected: start.offset,
      need: 0,
      problem: null,
    };
    const end = this.#visibleSize;
    if (this.tailBuffer !== null && s.position >= this.#tailPosition) {
      // Slices of the tail go to the reader: it is lent, never reused (its slices stay valid).
      this.tailLent = true;
      collectEntries(this.tailBuffer, this.#tailPosition, end, false, s);
      this.checkCollected(s);
      return s;
    }
    this.acquire();
    try {
      let length = Math.max(minReadBytes, maxBytes + indexIntervalBytes + 2 * frameHeaderBytes);
      while (s.position < end) {
        const bufPosition = s.position;
        const size = Math.min(end - bufPosition, Math.max(length, s.need));
        const into = s.need > length && admitLargeRead !== undefined ? await admitLargeRead(size) : undefined;
        const buf = await pread(this.fd, bufPosition, size, into);
        s.readBytes += buf.length;
        if (buf.length < Math.min(end - bufPosition, s.need)) {
          s.problem = "short read";
          break;
        }
        if (collectEntries(buf, bufPosition, end, true, s) !== "more") break;
        length = minReadBytes;
      }
    } finally {
      this.release();
    }
    this.checkCollected(s);
    return s;
  }

  /** The caller asked for an offset this segment holds below the high watermark, so
   * collecting nothing means damage (or records missing from the file), except in a
   * sealed segment walked cleanly to its end: compaction may have removed every record
   * from the target on, and the Log goes on with the next segment. */
  private checkCollected(s: ReadCursor): void {
    if (s.recordCount > 0) return; // serve what came before any damage
    if (s.problem === null && this.#sealed && s.position >= this.#visibleSize) return;
    const problem = s.problem ?? "records missing";
    this.logger.error({ path: this.logPath, position: s.position, problem }, "corrupt batch frame");
    throw new CorruptDataError(`segment ${this.baseOffset} has a damaged batch at position ${s.position}`);
  }

  /**
   * The first record at or after `startOffset` (and below `visibleSize`) whose
   * timestamp is >= `timestampMs`, or null. Starts after the last time index entry
   * older than the target, skips frames by maxTimestamp, and walks the entries of the
   * first frame that can hold the answer.
   * @throws CorruptDataError when a damaged frame is met before the answer
   */
  async findOffsetByTimestamp(timestampMs: number, startOffset: number): Promise<{ offset: number; timestampMs: number } | null> {
    const before = this.#timeIndex.entryBefore(timestampMs);
    const from = Math.max(startOffset, before === null ? this.baseOffset : before.offset);
    const start = this.#offsetIndex.lookup(from);
    let found: { offset: number; timestampMs: number } | null = null;
    let badEntry = -1;
    this.acquire();
    try {
      const scan = await scanFrames(this.fd, start.position, this.#visibleSize, start.offset, { verify: true }, (h, position, buf, at) => {
        const last = h.baseOffset + h.lastOffsetDelta;
        if (last < from || h.maxTimestamp < timestampMs) return true;
        const end = at + h.frameLength;
        let p = at + frameHeaderBytes;
        for (let i = 0; i < h.recordCount; i++) {
          const length = entryLengthAt(buf, p, end);
          const offset = length < 0 ? -1 : entryOffsetAt(buf, p, end); // compacted frames have gaps
          const timestamp = offset < 0 ? NaN : entryTimestamp(buf, p, end);
          if (Number.isNaN(timestamp)) {
            badEntry = position;
            return false;
          }
          if (offset >= from && timestamp >= timestampMs) {
            found = { offset, timestampMs: timestamp };
            return false;
          }
          p += length;
        }
        return true;
      });
      if (found !== null) return found;
      if (scan.problem !== null || badEntry >= 0) {
        const position = badEntry >= 0 ? badEntry : scan.position;
        this.logger.error({ path: this.logPath, position, problem: scan.problem ?? "bad entry" }, "corrupt batch frame");
        throw new CorruptDataError(`segment ${this.baseOffset} has a damaged batch at position ${position}`);
      }
      return null;
    } finally {
      this.release();
    }
  }

  /**
   * The segment file's descriptor (read-write). A file closed while idle
   * (`closeIdleFile`) is reopened here, synchronously: an open(2) of a file in a
   * directory the process just listed costs microseconds. -1 once `close` has begun.
   * Callers that await with it in hand hold the segment (`acquire`) or have unwritten
   * or unsynced bytes in it, either of which keeps it open. A read that acquired the
   * segment before `close` began may still reopen it: `close` waits for it.
   * @throws the fs error of the reopen (EMFILE...)
   */
  get fd(): number {
    if (this.closed || !this.created) return -1;
    if (this.file < 0) this.file = fs.openSync(this.logPath, "r+");
    if (!this.closing) this.openFiles?.used(this);
    return this.file;
  }

  /** Counts this sealed segment against `files`, which may close its file while idle. */
  attach(files: OpenSegmentFiles): void {
    assert(this.#sealed, "only sealed segments close their files while idle");
    if (this.closing) return;
    this.openFiles = files;
    if (this.file >= 0) files.used(this);
  }

  /**
   * Closes the file of an attached sealed segment that nothing uses: no read holds it
   * and every byte is written and fsynced (so the writer has nothing left to do with
   * it). Returns true when the file is closed now.
   */
  closeIdleFile(): boolean {
    if (this.file < 0) return true;
    if (!this.#sealed || this.closing || this.refs > 0 || this.#writtenSize !== this.#size || this.#syncedSize !== this.#size) return false;
    const fd = this.file;
    this.file = -1;
    fs.closeSync(fd);
    return true;
  }

  /** False once `close` has begun: the segment was deleted or the log closed. */
  get isOpen(): boolean {
    return !this.closing;
  }

  /** Holds the fd open across an await; callers check `isOpen` first. */
  acquire(): void {
    assert(!this.closing, "segment acquired after close");
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves once no read holds the segment (new ones may start afterwards: the caller
   * keeps them out, see Log.truncateTo). */
  async drained(): Promise<void> {
    while (this.refs > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Cuts the segment, in memory, at `position`, the start of the frame with base offset
   * `nextOffset` (or the end of its frames): sizes, indexes and the tail; the caller
   * (Log.truncateTo) has written and fsynced everything before, drained the reads, and
   * cuts the file afterwards (`truncateFile`). `maxTimestamp` and `lastBatchOffset`:
   * of the frames kept after the last offset-index entry below `nextOffset`. The segment becomes the active one: unsealed, its file
   * no longer counted against the open-files bound.
   */
  truncateInMemory(position: number, nextOffset: number, maxTimestamp: number, lastBatchOffset: number): void {
    assert(position <= this.#size && this.#writtenSize === this.#size, "a segment is cut only once written, at or below its size");
    this.#size = this.#writtenSize = position;
    if (this.#syncedSize > position) this.#syncedSize = position;
    if (this.#visibleSize > position) this.#visibleSize = position;
    // The tail goes: slices lent to readers stay valid, and nothing is written twice.
    this.tailBuffer = null;
    this.retired = [];
    this.recyclable = [];
    this.#tailPosition = position;
    this.#tailLength = this.tailWritten = 0;
    this.nextTailBytes = minTailBytes;
    this.sizeAtIdleCheck = -1;
    this.#nextOffset = nextOffset;
    this.#offsetIndex.truncateToPosition(position);
    this.#timeIndex.truncateAfter(nextOffset - 1);
    // The entries kept cover the frames up to theirs; the caller walked the rest.
    this.#maxTimestamp = Math.max(this.#timeIndex.lastTimestamp, maxTimestamp);
    this.lastBatchOffset = lastBatchOffset;
    this.bytesSinceIndexEntry = position - (this.#offsetIndex.lastEntry()?.position ?? 0);
    this.forceIndexEntry = true;
    if (position === 0) this.#rollingBaseMs = null;
    if (this.#sealed) {
      this.#sealed = false;
      this.openFiles?.forget(this);
      this.openFiles = null;
    }
  }

  /** Cuts the file at `size` (after `truncateInMemory`) and fdatasyncs it. */
  async truncateFile(): Promise<void> {
    await ftruncate(this.fd, this.#size);
    await fdatasync(this.fd);
  }

  /** Closes the file once no read holds it. */
  async close(): Promise<void> {
    this.closing = true;
    await this.drained();
    this.closed = true;
    this.openFiles?.forget(this);
    if (this.file >= 0) {
      const fd = this.file;
      this.file = -1;
      await closeFd(fd);
    }
  }

  /** Closes and removes the segment's files (the `.log` first, so a crash leaves at
   * worst orphan indexes, which open removes). */
  async delete(): Promise<void> {
    await this.close();
    await unlinkIfExists(this.logPath);
    await unlinkIfExists(this.indexPath);
    await unlinkIfExists(this.timeIndexPath);
  }
}
