/**
 * The consumer reads of a log (Log.read, Log.offsetForTimestamp): walking the live
 * segment list below the high watermark. Each step reads the log's state again (a
 * compaction may swap a segment object, a truncation or close may begin while a read
 * waits for the disk); when a truncation begins before anything was collected, the read
 * answers `null` and the Log runs it again once the truncation is over.
 */
import type { SegmentRead } from "./entry-collector.js";
import type { FetchData, ReadOptions } from "./fetch-data.js";
import type { LogSegment } from "./log-segment.js";
import type { LogSegments } from "./log-segments.js";

/** The log as a read sees it, read again at each step. */
export interface RecordSource {
  segments(): LogSegments;
  highWatermark(): number;
  logStartOffset(): number;
  /** True while a truncation runs (the read then answers null). */
  truncating(): boolean;
  /** Throws LOG_CLOSED once the log began to close. */
  checkOpen(): void;
  indexIntervalBytes(): number;
}

/**
 * Record entries from `target` on (see Log.read), or null when a truncation began
 * before any record was collected.
 * @throws CorruptDataError when the first batch needed fails its checksum
 */
export async function readRecords(source: RecordSource, target: number, maxBytes: number, options: ReadOptions): Promise<FetchData | null> {
  let from = target;
  let readBytes = 0;
  let found: SegmentRead | null = null;
  while (from < source.highWatermark()) {
    if (source.truncating()) return null; // nothing collected yet
    const segment = source.segments().floor(from);
    const part = await segment.read(from, Math.max(0, maxBytes), source.indexIntervalBytes(), options.admitLargeRead);
    readBytes += part.readBytes;
    if (part.recordCount > 0) {
      found = part;
      break;
    }
    source.checkOpen(); // segments close once `close` begins
    const next = source.segments().higher(segment.baseOffset); // the rest of `segment` was compacted away
    if (next === null) break;
    from = next.baseOffset;
  }
  const hw = source.highWatermark();
  return {
    chunks: found === null ? [] : found.chunks,
    bytes: found === null ? 0 : found.bytes,
    recordCount: found === null ? 0 : found.recordCount,
    firstOffset: BigInt(found === null ? target : found.firstOffset),
    nextOffset: BigInt(found === null ? Math.max(target, Math.min(from, hw)) : found.nextOffset),
    highWatermark: BigInt(hw),
    logStartOffset: BigInt(source.logStartOffset()),
    readBytes,
  };
}

/**
 * The first offset at or above the log start offset whose record timestamp is >=
 * `timestampMs` (see Log.offsetForTimestamp): "none" when there is none, null when a
 * truncation began meanwhile.
 * @throws CorruptDataError when a damaged batch is met before the answer
 */
export async function findOffsetForTimestamp(source: RecordSource, timestampMs: number): Promise<{ offset: number; timestampMs: number } | "none" | null> {
  // Walks the live list (a compaction may swap a segment object meanwhile).
  for (let segment: LogSegment | null = source.segments().first; segment !== null; segment = source.segments().higher(segment.baseOffset)) {
    if (source.truncating()) return null;
    const startOffset = source.logStartOffset();
    if (segment.maxTimestamp < timestampMs || segment.nextOffset <= startOffset || !segment.isOpen) continue;
    const found = await segment.findOffsetByTimestamp(timestampMs, Math.max(startOffset, segment.baseOffset));
    if (found !== null) return found;
    source.checkOpen();
  }
  return "none";
}
