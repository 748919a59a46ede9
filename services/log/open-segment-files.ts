/**
 * A bound on the sealed segments' files held open, shared by every log of a broker
 * (issue 14: each segment kept a file descriptor open, so one client making many small
 * segments used up the process's descriptors, and then produce, CreateTopic, the HTTP
 * port and a clean shutdown failed).
 *
 * Sealed segments are attached here (LogSegment.attach). Each use of a segment's file
 * descriptor counts as recent use; when more than `maxOpen` attached segments have
 * their file open, the least recently used idle ones close theirs
 * (LogSegment.closeIdleFile: sealed, no read holding it, every byte written and
 * fsynced). The next use reopens it. Active segments are not attached: one file each,
 * bounded by the partition count. Single-threaded like the rest of the log: all of it
 * is synchronous.
 *
 * A segment still busy when its turn comes (a read in flight, bytes not yet fsynced:
 * under `interval` a sealed segment may wait for the next background fsync) moves to
 * the back and is tried again later: on a later use, or by `trim`, which runs every
 * `trimIntervalMs` so that files close on an idle broker too. The bound is therefore
 * exceeded only by segments in use or sealed since the last fsync.
 */
import type { LogSegment } from "./log-segment.js";

/** How many least-recently-used entries one eviction looks at, so that busy segments
 * (a long read in flight) never make a use O(open files). */
const maxEvictionScan = 64;
/** How often files that became idle after their last use are closed. */
const trimIntervalMs = 1000;

export class OpenSegmentFiles {
  /** Attached segments with an open file, least recently used first (Map keeps insertion order). */
  private readonly lru = new Map<LogSegment, true>();

  private readonly timer: NodeJS.Timeout;

  /** @param maxOpen most sealed segment files kept open at once (more only while in use) */
  constructor(readonly maxOpen: number) {
    this.timer = setInterval(() => this.trim(), trimIntervalMs);
    this.timer.unref();
  }

  /** Attached segments whose file is open now. */
  get openCount(): number {
    return this.lru.size;
  }

  /** A segment's file was opened or used: it becomes the most recent; older idle ones
   * close while there are too many. */
  used(segment: LogSegment): void {
    this.lru.delete(segment);
    this.lru.set(segment, true);
    if (this.lru.size <= this.maxOpen) return;
    const oldest: LogSegment[] = [];
    for (const candidate of this.lru.keys()) {
      if (oldest.length >= maxEvictionScan) break;
      if (candidate !== segment) oldest.push(candidate);
    }
    this.evict(oldest);
  }

  /** Closes idle files, least recently used first, until at most `maxOpen` are open. */
  trim(): void {
    if (this.lru.size > this.maxOpen) this.evict([...this.lru.keys()]);
  }

  /** Stops the trim timer (the broker is closing). */
  stop(): void {
    clearInterval(this.timer);
  }

  private evict(candidates: readonly LogSegment[]): void {
    for (const candidate of candidates) {
      if (this.lru.size <= this.maxOpen) return;
      this.lru.delete(candidate);
      if (!candidate.closeIdleFile()) this.lru.set(candidate, true); // busy: to the back, tried later
    }
  }

  /** The segment closed its file for good (deleted, log closed). */
  forget(segment: LogSegment): void {
    this.lru.delete(segment);
  }
}
