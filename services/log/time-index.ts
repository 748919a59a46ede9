/**
 * The sparse time index of one segment: the largest record timestamp seen so far ->
 * an offset, so that a timestamp search can skip a prefix of the segment even when
 * record timestamps are not monotonic (Kafka's TimeIndex).
 *
 * On disk (`<baseOffset>.timeindex`): entries of 12 bytes, an 8-byte timestamp in ms
 * (int64) and a 4-byte relative offset (int32), little-endian, no header.
 *
 * Invariants: timestamps strictly increase; relative offsets never decrease. An entry
 * (T, o) is written when the batch starting at o is appended, and T is at least the
 * timestamp of every record in that batch and in all earlier batches of the segment
 * (it may be larger after recovery, which is safe: it only makes searches scan more).
 * Derived data, kept in memory, written whole on roll and close; checked on load.
 */
import assert from "node:assert";
import { readFileIfExists, writeFileAtomic } from "./file-io.js";
import { defaultMaxIndexEntries } from "./offset-index.js";

/** A timestamp and an offset (Kafka's TimestampOffset). */
export interface TimestampOffset {
  readonly timestampMs: number;
  readonly offset: number;
}

const entryBytes = 12;
const initialCapacity = 64;

export class TimeIndex {
  private timestamps = new Float64Array(initialCapacity);
  private relativeOffsets = new Int32Array(initialCapacity);
  private count = 0;

  constructor(
    readonly baseOffset: number,
    readonly maxEntries: number = defaultMaxIndexEntries,
  ) {}

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** The largest timestamp indexed, or -Infinity. */
  get lastTimestamp(): number {
    return this.count === 0 ? -Infinity : this.timestamps[this.count - 1];
  }

  /** Adds (timestampMs, offset) if timestampMs is larger than the last entry's; returns
   * whether it did. Offsets must not go backwards (a programmer error otherwise). */
  maybeAppend(timestampMs: number, offset: number): boolean {
    const n = this.count;
    if (timestampMs <= this.lastTimestamp || n >= this.maxEntries) return false;
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, "relative offset out of int32 range");
    assert(n === 0 || relative >= this.relativeOffsets[n - 1], "time index offset went backwards");
    if (n === this.timestamps.length) this.grow();
    this.timestamps[n] = timestampMs;
    this.relativeOffsets[n] = relative;
    this.count = n + 1;
    return true;
  }

  /** The greatest entry whose timestamp is strictly below `timestampMs`, or null. Every
   * record up to the end of that entry's batch is older than `timestampMs`. */
  entryBefore(timestampMs: number): TimestampOffset | null {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.timestamps[mid] < timestampMs) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0) return null;
    return { timestampMs: this.timestamps[found], offset: this.baseOffset + this.relativeOffsets[found] };
  }

  lastEntry(): TimestampOffset | null {
    const n = this.count;
    if (n === 0) return null;
    return { timestampMs: this.timestamps[n - 1], offset: this.baseOffset + this.relativeOffsets[n - 1] };
  }

  /** Drops every entry whose offset is above `offset`. */
  truncateAfter(offset: number): void {
    const relative = offset - this.baseOffset;
    while (this.count > 0 && this.relativeOffsets[this.count - 1] > relative) this.count--;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * entryBytes);
    for (let i = 0; i < this.count; i++) {
      buf.writeBigInt64LE(BigInt(this.timestamps[i]), i * entryBytes);
      buf.writeInt32LE(this.relativeOffsets[i], i * entryBytes + 8);
    }
    return buf;
  }

  /** Parses an index, or null when it breaks an invariant or names an offset at or past
   * `endOffset`. */
  static fromBuffer(baseOffset: number, buf: Buffer, endOffset: number, maxEntries = defaultMaxIndexEntries): TimeIndex | null {
    if (buf.length % entryBytes !== 0 || buf.length / entryBytes > maxEntries) return null;
    const index = new TimeIndex(baseOffset, maxEntries);
    let lastRelative = 0;
    for (let at = 0; at < buf.length; at += entryBytes) {
      const timestamp = Number(buf.readBigInt64LE(at));
      const relative = buf.readInt32LE(at + 8);
      if (relative < lastRelative || baseOffset + relative >= endOffset) return null;
      if (!Number.isSafeInteger(timestamp) || !index.maybeAppend(timestamp, baseOffset + relative)) return null;
      lastRelative = relative;
    }
    return index;
  }

  static async load(file: string, baseOffset: number, endOffset: number, maxEntries = defaultMaxIndexEntries): Promise<TimeIndex | null> {
    const buf = await readFileIfExists(file);
    return buf === null ? null : TimeIndex.fromBuffer(baseOffset, buf, endOffset, maxEntries);
  }

  /** Writes the whole index (temporary file and rename); `durable` as OffsetIndex.save. */
  save(file: string, durable = false): Promise<void> {
    return writeFileAtomic(file, this.toBuffer(), durable, { syncDir: false });
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, this.timestamps.length * 2);
    const timestamps = new Float64Array(capacity);
    const relativeOffsets = new Int32Array(capacity);
    timestamps.set(this.timestamps.subarray(0, this.count));
    relativeOffsets.set(this.relativeOffsets.subarray(0, this.count));
    this.timestamps = timestamps;
    this.relativeOffsets = relativeOffsets;
  }
}
