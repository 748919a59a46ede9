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
 */
import type { LogSegment } from "./log-segment.js";

/** How many least-recently-used entries one eviction looks at, so that busy segments
 * (a long read in flight) never make a use O(open files). */
const maxEvictionScan = 64;

export class OpenSegmentFiles {
  /** Attached segments with an open file, least recently used first (Map keeps insertion order). */
  private readonly lru = new Map<LogSegment, true>();

  /** @param maxOpen most sealed segment files kept open at once (more only while in use) */
  constructor(readonly maxOpen: number) {}

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
    let scanned = 0;
    for (const candidate of this.lru.keys()) {
      if (this.lru.size <= this.maxOpen || scanned++ >= maxEvictionScan) break;
      if (candidate !== segment && candidate.closeIdleFile()) this.lru.delete(candidate);
    }
  }

  /** The segment closed its file for good (deleted, log closed). */
  forget(segment: LogSegment): void {
    this.lru.delete(segment);
  }
}
