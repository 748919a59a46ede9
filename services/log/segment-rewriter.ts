/**
 * Writes the compacted copy of one sealed segment: `<baseOffset>.log.cleaned`, the kept
 * record entries copied verbatim (their offsets are their identity) and regrouped into
 * new frames of up to `rewriteFrameBytes` (one record per frame when it is larger).
 *
 * The new frames tile the segment's offsets as batch-frame.ts requires: the first starts
 * at the segment's baseOffset, each next one right after the previous frame's last
 * record, and lastOffsetDelta is the last record's offset - baseOffset, so it exceeds
 * recordCount - 1 wherever records were dropped. A new frame holds records of one
 * leader epoch only and keeps it (a follower copying the compacted frames then learns
 * the same epochs as the leader has, CLUSTER.md section 4). Timestamps are the kept records' own;
 * producer id and sequence are -1 (producer state is rebuilt from the active segment
 * only, which compaction never rewrites); the crc is computed anew.
 *
 * Bytes go to the file in writes of about `pendingLimitBytes` while the caller scans the
 * old segment; `finish` fsyncs the file and builds the LogSegment that replaces the old
 * one once the caller has renamed the file over the old `.log` (see log-cleaner.ts).
 */
import type { Logger } from "pino";
import { frameHeaderBytes, readFrameHeader, writeFrameHeader, type BatchHeader } from "./batch-frame.js";
import { closeFd, fdatasync, openFd, pwritev, unlinkIfExists } from "./file-io.js";
import { LogSegment } from "./log-segment.js";
import type { EntryFields } from "./record-entry.js";

/** Target size of a rewritten frame: large enough to amortize headers and crc, small
 * enough that a read from its middle stays cheap. */
const rewriteFrameBytes = 16 * 1024;
const pendingLimitBytes = 1 << 20;

export class SegmentRewriter {
  readonly path: string;
  /** Records kept so far. */
  recordCount = 0;
  private frame = Buffer.allocUnsafe(rewriteFrameBytes);
  private used = frameHeaderBytes;
  private count = 0;
  private firstTimestamp = 0;
  private maxTimestamp = 0;
  private lastOffset = -1;
  private epoch = 0;
  private nextBase: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private readonly frames: Array<{ header: BatchHeader; position: number }> = [];
  private closed = false;

  private constructor(
    private readonly old: LogSegment,
    private fd: number,
  ) {
    this.path = SegmentRewriter.pathFor(old);
    this.nextBase = old.baseOffset;
  }

  static pathFor(segment: LogSegment): string {
    return `${segment.logPath}.cleaned`;
  }

  /** Creates (or truncates a leftover) `.cleaned` file for `old`. */
  static async create(old: LogSegment): Promise<SegmentRewriter> {
    return new SegmentRewriter(old, await openFd(SegmentRewriter.pathFor(old), "w+"));
  }

  /** True when enough bytes wait to be written that the caller should `writePending`. */
  get shouldWrite(): boolean {
    return this.pendingBytes >= pendingLimitBytes;
  }

  /** Bytes of the new file so far. */
  get size(): number {
    return this.written + this.pendingBytes;
  }

  /** Keeps the entry at `buf[at, at + e.length)`, from a frame of `leaderEpoch`; offsets must increase. */
  add(buf: Buffer, at: number, e: EntryFields, leaderEpoch: number): void {
    if (this.count > 0 && (this.used + e.length > this.frame.length || leaderEpoch !== this.epoch)) this.finishFrame();
    this.epoch = leaderEpoch;
    if (this.used + e.length > this.frame.length) this.frame = Buffer.allocUnsafe(frameHeaderBytes + e.length);
    buf.copy(this.frame, this.used, at, at + e.length);
    this.used += e.length;
    if (this.count === 0) this.firstTimestamp = this.maxTimestamp = e.timestampMs;
    else if (e.timestampMs > this.maxTimestamp) this.maxTimestamp = e.timestampMs;
    this.lastOffset = e.offset;
    this.count++;
    this.recordCount++;
  }

  private finishFrame(): void {
    const bytes = this.frame.subarray(0, this.used);
    writeFrameHeader(bytes, 0, {
      baseOffset: this.nextBase,
      frameLength: this.used,
      recordCount: this.count,
      lastOffsetDelta: this.lastOffset - this.nextBase,
      leaderEpoch: this.epoch,
      firstTimestamp: this.firstTimestamp,
      maxTimestamp: this.maxTimestamp,
      producerId: -1n,
      baseSequence: -1n,
    });
    this.frames.push({ header: readFrameHeader(bytes, 0), position: this.size });
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.nextBase = this.lastOffset + 1;
    this.frame = Buffer.allocUnsafe(rewriteFrameBytes);
    this.used = frameHeaderBytes;
    this.count = 0;
  }

  async writePending(): Promise<void> {
    if (this.pendingBytes === 0) return;
    await pwritev(this.fd, this.pending, this.written);
    this.written += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes the last frame and fsyncs the file. */
  async finish(): Promise<void> {
    if (this.count > 0) this.finishFrame();
    await this.writePending();
    await fdatasync(this.fd);
  }

  /**
   * The segment for the new file, once it has been renamed to `old.logPath`: indexes
   * built from the new frames, sealed, same offset range as `old`. The fd passes to it.
   */
  toSegment(dir: string, indexIntervalBytes: number, logger: Logger): LogSegment {
    const segment = LogSegment.fromFile(dir, this.old.baseOffset, this.fd, this.written, logger);
    this.closed = true;
    for (const { header, position } of this.frames) segment.replayFrame(header, position, indexIntervalBytes);
    segment.sealAt(this.old.nextOffset);
    segment.finishTimeIndex();
    return segment;
  }

  /** Closes and removes the `.cleaned` file (a pass that gave up or had nothing to do). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = -1;
    await closeFd(fd);
    await unlinkIfExists(this.path);
  }
}
