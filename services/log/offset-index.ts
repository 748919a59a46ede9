/**
 * The sparse offset index of one segment: offset -> file position of the batch frame
 * that starts at that offset.
 *
 * On disk (`<baseOffset>.index`): entries of 8 bytes, a 4-byte relative offset
 * (offset - baseOffset) and a 4-byte position, both int32 little-endian, no header.
 *
 * Invariants: relative offsets and positions strictly increase; every entry points at
 * the start of a frame whose baseOffset is the entry's offset. The index is derived
 * data, kept in memory and written whole on roll and close (`save`); `load` checks it
 * against the segment's limits and answers null when it cannot be trusted, and the
 * caller rebuilds it from the log.
 *
 * Concurrency: owned by one LogSegment; appends happen synchronously in `Log.append`.
 */
import assert from "node:assert";
import { readFileIfExists, writeFileAtomic } from "./file-io.js";

/** An offset and the position of the frame that starts at it (Kafka's OffsetPosition). */
export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

const entryBytes = 8;
const initialCapacity = 64;
/** Default cap: 1 Mi entries (8 MiB); a full index makes the log roll (Kafka's segment.index.bytes). */
export const defaultMaxIndexEntries = 1 << 20;

export class OffsetIndex {
  private relativeOffsets = new Int32Array(initialCapacity);
  private positions = new Int32Array(initialCapacity);
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

  /** Adds an entry; offsets and positions must increase (a programmer error otherwise). */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    const n = this.count;
    assert(relative >= 0 && relative <= 0x7fffffff, "relative offset out of int32 range");
    assert(n === 0 || relative > this.relativeOffsets[n - 1], "offset index went backwards");
    assert(n === 0 || position > this.positions[n - 1], "offset index position went backwards");
    assert(n < this.maxEntries, "offset index full");
    if (n === this.relativeOffsets.length) this.grow();
    this.relativeOffsets[n] = relative;
    this.positions[n] = position;
    this.count = n + 1;
  }

  /** The greatest entry at or below `offset`, or (baseOffset, 0) when there is none. */
  lookup(offset: number): OffsetPosition {
    const slot = this.slotAtOrBelow(offset - this.baseOffset);
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relativeOffsets[slot], position: this.positions[slot] };
  }

  lastEntry(): OffsetPosition | null {
    const n = this.count;
    if (n === 0) return null;
    return { offset: this.baseOffset + this.relativeOffsets[n - 1], position: this.positions[n - 1] };
  }

  /** Drops every entry whose position is at or past `position`. */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.positions[this.count - 1] >= position) this.count--;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * entryBytes);
    for (let i = 0; i < this.count; i++) {
      buf.writeInt32LE(this.relativeOffsets[i], i * entryBytes);
      buf.writeInt32LE(this.positions[i], i * entryBytes + 4);
    }
    return buf;
  }

  /**
   * Parses an index, or null when it breaks an invariant: length not a multiple of 8,
   * entries not increasing, an offset at or past `endOffset`, a position at or past
   * `endPosition` (the log's valid length), more than `maxEntries`.
   */
  static fromBuffer(baseOffset: number, buf: Buffer, endOffset: number, endPosition: number, maxEntries = defaultMaxIndexEntries): OffsetIndex | null {
    if (buf.length % entryBytes !== 0 || buf.length / entryBytes > maxEntries) return null;
    const index = new OffsetIndex(baseOffset, maxEntries);
    let lastRelative = -1;
    let lastPosition = -1;
    for (let at = 0; at < buf.length; at += entryBytes) {
      const relative = buf.readInt32LE(at);
      const position = buf.readInt32LE(at + 4);
      if (relative <= lastRelative || position <= lastPosition) return null;
      if (baseOffset + relative >= endOffset || position >= endPosition) return null;
      index.append(baseOffset + relative, position);
      lastRelative = relative;
      lastPosition = position;
    }
    return index;
  }

  /** Loads `file`; null when missing or invalid (see `fromBuffer`). */
  static async load(file: string, baseOffset: number, endOffset: number, endPosition: number, maxEntries = defaultMaxIndexEntries): Promise<OffsetIndex | null> {
    const buf = await readFileIfExists(file);
    return buf === null ? null : OffsetIndex.fromBuffer(baseOffset, buf, endOffset, endPosition, maxEntries);
  }

  /** Writes the whole index (temporary file and rename). `durable`: the temporary file is
   * fsynced before the rename (the caller fsyncs the directory), for a sealed segment's
   * index that recovery trusts after a power loss (see segment-recovery.ts). */
  save(file: string, durable = false): Promise<void> {
    return writeFileAtomic(file, this.toBuffer(), durable, { syncDir: false });
  }

  /** Slot of the greatest relative offset <= `relative`, or -1. */
  private slotAtOrBelow(relative: number): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.relativeOffsets[mid] <= relative) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, this.relativeOffsets.length * 2);
    const relativeOffsets = new Int32Array(capacity);
    const positions = new Int32Array(capacity);
    relativeOffsets.set(this.relativeOffsets.subarray(0, this.count));
    positions.set(this.positions.subarray(0, this.count));
    this.relativeOffsets = relativeOffsets;
    this.positions = positions;
  }
}
