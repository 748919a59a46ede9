/**
 * The buffered writer of one partition log (DESIGN.md section 3, "What an ack promises").
 *
 * Appends copy their frame into the active segment's tail and call `appended`, which
 * schedules one flush per tick (setImmediate): every byte appended since the previous
 * flush goes to the OS in one positional writev per segment. That writev is synchronous
 * (writevSync): a write into the page cache takes tens of microseconds, less than the
 * thread-pool round trip of an async one, and the ack still waits for it to return. Under
 * "always" it also keeps the write out of a thread pool whose 4 threads are busy with
 * other partitions' fdatasyncs (8 producers on 8 partitions: 237-255k -> 261-273k rec/s).
 * A sync write that took over `slowWriteMs` (the kernel throttling dirty pages, a slow
 * disk) switches the writer to async writes for `asyncAfterSlowMs`, so that the event
 * loop is stalled by at most one slow write per period. For fsyncPolicy "always" the
 * write is followed by fdatasync (and an fsync of the directory when a segment file was
 * created). Only then the host hears that the records are written (`WriterHost.written`:
 * the Log's written end moves, and on one broker its high watermark with it) and, once
 * the readers that woke have sent (process.nextTick, see `flush`), the tick's `durable`
 * promise resolves.
 * Group commit falls out of the serial queue: while a flush (write or fsync) is in
 * flight, new appends accumulate and the next flush takes them all. "interval" fsyncs
 * every `flushIntervalMs` on an unref'd timer; "never" only on roll and close.
 *
 * Rolls (issue 14): a sealed segment is fdatasynced and its indexes saved durably by the
 * first flush that finds it fully written, and a new segment's file is created only
 * after that, followed by a directory fsync before its first bytes: whatever a power
 * loss drops is then a suffix of the log, never a hole (see `createFile`).
 *
 * Failure: a failed write or fsync rejects the in-flight tick's `durable` with
 * StorageFullError (ENOSPC, EDQUOT) or UnavailableError STORAGE_ERROR, keeps the bytes
 * queued, and sets `failure` so that appends fail fast; a retry runs every second (and
 * on `flush`) and clears `failure` when it succeeds. An append whose `durable` rejected
 * may therefore still reach the log, as after a Kafka request timeout; idempotent
 * producers get the original offsets when they retry.
 *
 * Concurrency: `flush` and `sync` run only inside the Log's SerialQueue; `appended`,
 * `rolled` and `durableAt` are synchronous, called from `Log.append`.
 */
import assert from "node:assert";
import type { Logger } from "pino";
import { fdatasync, fsyncDir, pwritev, pwritevSync, storageError } from "./file-io.js";
import type { FsyncPolicy } from "./log-config.js";
import type { LogSegment } from "./log-segment.js";
import type { SerialQueue } from "./serial-queue.js";

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function createDeferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // callers may ignore `durable`
  return { promise, resolve, reject };
}

const resolved = Promise.resolve();
const resolveDeferred = (deferred: Deferred): void => deferred.resolve();
const retryMs = 1000;
const slowWriteMs = 5;
const asyncAfterSlowMs = 1000;

/** What the writer needs from its Log. */
export interface WriterHost {
  /** The log end offset: what a flush started now covers. */
  logEndOffset(): number;
  /**
   * Everything below `endOffset` is written (and fsynced for "always"); `segments` are
   * those written since the previous call, each now written up to its `writtenSize`
   * (read them synchronously: the writer clears the set right after). The host may make
   * them visible (LogSegment.visibleSize) and move its high watermark (Log).
   */
  written(endOffset: number, segments: ReadonlySet<LogSegment>): void;
  /** Work that must be durable before the bytes appended so far are written (a new
   * leader epoch in the checkpoint, from a follower append), or undefined when none:
   * called again after each one until undefined, then the flush takes the bytes in the
   * same tick. */
  beforeWrite(): Promise<void> | undefined;
}

export class LogWriter {
  /** Set while writes fail; `Log.append` throws it. */
  failure: Error | null = null;
  private scheduled = false;
  private stopped = false;
  private waiting: Deferred | null = null;
  private inflight: { readonly deferred: Deferred; readonly endOffset: number } | null = null;
  private toWrite = new Set<LogSegment>();
  /** Segments written since the host last heard of it (`WriterHost.written`). */
  private readonly unreported = new Set<LogSegment>();
  private readonly unsynced = new Set<LogSegment>();
  private readonly toSeal: LogSegment[] = [];
  private dirUnsynced = false;
  private intervalTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private syncingBeside = false;
  /** Until then (performance.now() ms) writes are async: a recent sync write was slow. */
  private asyncUntil = 0;

  constructor(
    private readonly dir: string,
    private readonly queue: SerialQueue,
    private readonly host: WriterHost,
    private readonly logger: Logger,
    private policy: FsyncPolicy,
    flushIntervalMs: number,
    private readonly onFsync?: (seconds: number) => void,
  ) {
    this.configure(policy, flushIntervalMs);
  }

  /** Notes bytes appended to `segment`'s tail; returns the tick's durable promise. */
  appended(segment: LogSegment): Promise<void> {
    this.toWrite.add(segment);
    this.waiting ??= createDeferred();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.runScheduled);
    }
    return this.waiting.promise;
  }

  /** Notes a roll: `sealed`'s rest is written, fdatasynced and its indexes saved durably
   * by the next flush, and only then `created`'s file is made (see LogSegment.pending). */
  rolled(sealed: LogSegment, created: LogSegment): void {
    this.toWrite.add(sealed);
    this.toSeal.push(sealed);
    this.toWrite.add(created); // after `sealed`: flushes walk toWrite in insertion order
  }

  /** The durable promise of records below `endOffset` already appended (an idempotent
   * duplicate whose original may still be in flight). */
  durableAt(endOffset: number, highWatermark: number): Promise<void> {
    if (endOffset <= highWatermark) return resolved;
    if (this.inflight !== null && endOffset <= this.inflight.endOffset) return this.inflight.deferred.promise;
    this.waiting ??= createDeferred();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.runScheduled);
    }
    return this.waiting.promise;
  }

  /** Stops tracking a deleted segment. */
  forget(segment: LogSegment): void {
    this.toWrite.delete(segment);
    this.unreported.delete(segment);
    this.unsynced.delete(segment);
  }

  configure(policy: FsyncPolicy, flushIntervalMs: number): void {
    this.policy = policy;
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    this.intervalTimer = null;
    if (policy === "interval" && !this.stopped) {
      this.intervalTimer = setInterval(() => {
        this.syncBeside().catch((err: unknown) => this.logger.error({ err, dir: this.dir }, "log fsync failed"));
      }, flushIntervalMs);
      this.intervalTimer.unref();
    }
  }

  /** No more timers or scheduled flushes; `flush` still works (for close). */
  stop(): void {
    this.stopped = true;
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.intervalTimer = this.retryTimer = null;
  }

  private readonly runScheduled = (): void => {
    if (this.stopped) return;
    this.queue.run(() => this.flush(false)).catch(() => undefined); // reported through `durable`
  };

  /**
   * Writes everything appended so far (and fsyncs when `sync` or "always"), then
   * reports it written to the host. Run inside the queue only.
   * @throws StorageFullError or UnavailableError STORAGE_ERROR
   */
  async flush(sync: boolean): Promise<void> {
    this.scheduled = false;
    if (this.toWrite.size === 0 && this.waiting === null && this.unreported.size === 0 && !sync) return;
    for (let before = this.host.beforeWrite(); before !== undefined; before = this.host.beforeWrite()) {
      try {
        await before;
      } catch (err) {
        throw this.failed(err, this.waiting);
      }
    }
    const segments = [...this.toWrite];
    this.toWrite = new Set();
    const writes = segments.map((segment) => ({ segment, buffers: segment.takeUnwritten() }));
    const deferred = this.waiting ?? createDeferred();
    this.waiting = null;
    const endOffset = this.host.logEndOffset();
    this.inflight = { deferred, endOffset };
    let i = 0;
    try {
      for (; i < writes.length; i++) {
        const w = writes[i];
        const { segment } = w;
        if (!segment.hasFile) await this.createFile(segment);
        // Checked here, not only inside: an await of the async no-op was two promises and
        // a turn of the microtask queue per flush, in front of every acknowledgement.
        if (this.dirUnsynced) await this.syncDir();
        let bytes = 0;
        for (const b of w.buffers) bytes += b.length;
        if (bytes > 0) {
          const pending = this.write(segment.fd, w.buffers, segment.writtenSize);
          if (pending !== undefined) await pending;
          segment.markWritten(bytes);
          w.buffers = []; // written: not requeued if what follows fails
          this.unreported.add(segment);
          this.unsynced.add(segment);
        }
        // Whether or not this flush had bytes for it (issue 14: a sealed segment whose
        // last bytes went out in an earlier flush was never fdatasynced).
        if (segment.sealed && segment.writtenSize === segment.size) await this.seal(segment);
      }
      if (sync || this.policy === "always") await this.sync();
    } catch (err) {
      const failed = writes.slice(i);
      for (const { segment, buffers } of failed) segment.requeue(buffers);
      this.toWrite = new Set([...failed.map((w) => w.segment), ...this.toWrite]);
      throw this.failed(err, deferred);
    } finally {
      this.inflight = null;
    }
    if (this.failure !== null) this.logger.info({ dir: this.dir }, "log writes resumed");
    this.failure = null;
    this.host.written(endOffset, this.unreported);
    this.unreported.clear();
    // Readers first, acks after (issue 15 §5): `written` has woken the tailing pumps, whose
    // read and send take a few promise turns; resolving `durable` now would run every
    // waiting Produce handler's answer (grpc-js serialize and HTTP/2 write, ~0.25 ms on the
    // benchmark machine) between them, in front of the records' delivery. A nextTick
    // queued from here runs once the microtask queue is empty: after the pumps' sends,
    // still before any I/O or timer.
    process.nextTick(resolveDeferred, deferred);
  }

  /** A failed write, fsync or `beforeWrite`: appends fail fast until a retry succeeds. */
  private failed(err: unknown, deferred: Deferred | null): Error {
    const error = storageError(err);
    if (this.failure === null) this.logger.error({ err, dir: this.dir }, "log write failed");
    this.failure = error;
    if (deferred !== null) {
      deferred.reject(error);
      if (deferred === this.waiting) this.waiting = null;
    }
    this.scheduleRetry();
    return error;
  }

  /**
   * Creates a pending segment's file, after every earlier sealed segment is fdatasynced
   * with its indexes saved (`seal`), and marks the directory for an fsync before any of
   * the new file's bytes are written: on disk a segment then never exists beside a
   * predecessor that could still lose writes, so a power loss leaves at most a suffix of
   * the log missing, never a hole (issue 14).
   */
  private async createFile(segment: LogSegment): Promise<void> {
    for (const earlier of [...this.toSeal]) {
      if (earlier.baseOffset >= segment.baseOffset) continue;
      assert(!earlier.isOpen || earlier.writtenSize === earlier.size, "a sealed segment is written before its successor is created");
      await this.seal(earlier);
    }
    await segment.createFile();
    this.dirUnsynced = true;
  }

  /** Makes a fully written sealed segment durable once: fdatasync, then its indexes
   * (fsynced, directory fsynced), so that recovery may trust them (segment-recovery.ts). */
  private async seal(segment: LogSegment): Promise<void> {
    const at = this.toSeal.indexOf(segment);
    if (at < 0) return;
    if (!segment.isOpen) {
      this.toSeal.splice(at, 1); // deleted or replaced meanwhile
      return;
    }
    const written = segment.writtenSize;
    if (segment.syncedSize < written) {
      await this.timed(fdatasync(segment.fd));
      segment.markSynced(written);
    }
    this.unsynced.delete(segment);
    await segment.saveIndexes(true);
    this.toSeal.splice(this.toSeal.indexOf(segment), 1);
  }

  /** One positional write of `buffers`: synchronous unless a recent sync write was slow
   * (see the file comment). */
  private write(fd: number, buffers: Buffer[], position: number): Promise<void> | undefined {
    const started = performance.now();
    if (started < this.asyncUntil) return pwritev(fd, buffers, position);
    pwritevSync(fd, buffers, position);
    const took = performance.now() - started;
    if (took > slowWriteMs) {
      this.asyncUntil = started + took + asyncAfterSlowMs;
      this.logger.debug({ dir: this.dir, ms: took }, "slow sync write: async writes for a while");
    }
    return undefined;
  }

  /** fsyncs the directory (if a segment was created) and every segment with unsynced
   * writes. Run inside the queue only. */
  async sync(): Promise<void> {
    await this.syncDir();
    for (const segment of this.unsynced) {
      const written = segment.writtenSize;
      await this.timed(fdatasync(segment.fd));
      segment.markSynced(written);
      if (segment.syncedSize === segment.writtenSize) this.unsynced.delete(segment);
    }
  }

  /**
   * The "interval" fsync, run beside the serial queue rather than in it: appends keep
   * being written and acknowledged while fdatasync runs. In the queue, every flush
   * waited behind it (up to tens of ms on a busy disk), which put a latency spike on
   * produce and end-to-end delivery once per interval. A write racing the fsync is
   * fine: what was written before fdatasync began is what `syncedSize` claims. Each
   * segment is held open (`acquire`) while its fsync runs, so its fd is not closed and
   * reused under it.
   */
  private async syncBeside(): Promise<void> {
    if (this.syncingBeside) return; // the previous one is still running: the next tick takes it all
    this.syncingBeside = true;
    try {
      await this.syncDir();
      for (const segment of [...this.unsynced]) {
        if (!segment.isOpen) continue;
        const written = segment.writtenSize;
        segment.acquire();
        try {
          await this.timed(fdatasync(segment.fd));
        } finally {
          segment.release();
        }
        segment.markSynced(written);
        if (segment.syncedSize === segment.writtenSize) this.unsynced.delete(segment);
      }
    } finally {
      this.syncingBeside = false;
    }
  }

  /** fsyncs the directory when a segment file was created since the last time. */
  private async syncDir(): Promise<void> {
    if (!this.dirUnsynced) return;
    this.dirUnsynced = false;
    try {
      await this.timed(fsyncDir(this.dir));
    } catch (err) {
      this.dirUnsynced = true;
      throw err;
    }
  }

  /** Reports a successful fsync's latency to `onFsync` (metrics live outside the log). */
  private async timed(fsync: Promise<void>): Promise<void> {
    if (this.onFsync === undefined) return fsync;
    const started = performance.now();
    await fsync;
    this.onFsync((performance.now() - started) / 1000);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.queue.run(() => this.flush(false)).catch(() => undefined);
    }, retryMs);
    this.retryTimer.unref();
  }
}
