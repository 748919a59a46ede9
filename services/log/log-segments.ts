/**
 * The segments of one log in offset order, the last one active, and their total size
 * (Kafka's LogSegments). Sealed segments leave from the front (retention,
 * deleteRecordsBefore) or, with compaction, are replaced anywhere by their rewritten
 * copy, or removed when nothing in them was kept; the previous segment's range then
 * extends over the removed one's offsets (its `nextOffset`, as a restart would see it).
 *
 * Changed only synchronously, so a lookup followed by `LogSegment.acquire` in the same
 * tick always pins a segment that is in the list; after an await, callers look up again.
 */
import assert from "node:assert";
import type { LogSegment } from "./log-segment.js";

export class LogSegments {
  private readonly list: LogSegment[];
  private bytes = 0;

  constructor(segments: LogSegment[]) {
    assert(segments.length > 0, "a log has at least its active segment");
    this.list = segments;
    for (const segment of segments) this.bytes += segment.size;
  }

  get count(): number {
    return this.list.length;
  }
  get first(): LogSegment {
    return this.list[0];
  }
  get last(): LogSegment {
    return this.list[this.list.length - 1];
  }
  /** Bytes of every segment, appended tails included. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** A copy of the list. */
  toArray(): LogSegment[] {
    return this.list.slice();
  }

  has(segment: LogSegment): boolean {
    return this.list.includes(segment);
  }

  every(predicate: (segment: LogSegment) => boolean): boolean {
    return this.list.every(predicate);
  }

  /** Accounts for bytes appended to the active segment. */
  grew(bytes: number): void {
    this.bytes += bytes;
  }

  /** Adds a new active segment (a roll). */
  add(segment: LogSegment): void {
    assert(segment.baseOffset >= this.last.nextOffset, "segments are added in offset order");
    this.list.push(segment);
  }

  /** Removes and returns the segments after `segment` (a truncation), which becomes the
   * last; recounts the size (the caller has cut `segment`). */
  removeAfter(segment: LogSegment): LogSegment[] {
    const i = this.list.indexOf(segment);
    assert(i >= 0, "the segment is in the log");
    const removed = this.list.splice(i + 1);
    this.bytes = 0;
    for (const s of this.list) this.bytes += s.size;
    return removed;
  }

  /** Removes and returns the first segment; never the last one. */
  removeFirst(): LogSegment {
    assert(this.list.length > 1, "the active segment stays");
    const segment = this.list.shift() as LogSegment;
    this.bytes -= segment.size;
    return segment;
  }

  /** Puts `created` (same offset range) in `old`'s place, or removes `old` (null). */
  replace(old: LogSegment, created: LogSegment | null): void {
    const i = this.list.indexOf(old);
    assert(i >= 0 && i < this.list.length - 1, "only a sealed segment of the log is replaced");
    this.bytes -= old.size;
    if (created !== null) {
      assert(created.baseOffset === old.baseOffset, "a replacement covers the same offsets");
      this.list[i] = created;
      this.bytes += created.size;
    } else {
      this.list.splice(i, 1);
      if (i > 0) this.list[i - 1].extendTo(old.nextOffset);
    }
  }

  /** The segment holding `offset`: the one with the greatest baseOffset at or below it
   * (the first one when `offset` is below every baseOffset). */
  floor(offset: number): LogSegment {
    let low = 0;
    let high = this.list.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.list[mid].baseOffset <= offset) low = mid;
      else high = mid - 1;
    }
    return this.list[low];
  }

  /** The first segment whose baseOffset is above `baseOffset`, or null. */
  higher(baseOffset: number): LogSegment | null {
    let low = 0;
    let high = this.list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.list[mid].baseOffset <= baseOffset) low = mid + 1;
      else high = mid;
    }
    return low < this.list.length ? this.list[low] : null;
  }
}
