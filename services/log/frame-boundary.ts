/**
 * Finding a frame boundary inside a segment: where truncation cuts a segment, and where a
 * replicated log's high watermark starts on open (both need the start of the frame whose
 * base offset is a given offset, and what the frames before it held).
 */
import { CorruptDataError } from "../errors.js";
import { scanFrames } from "./frame-scanner.js";
import type { LogSegment } from "./log-segment.js";

/** The start of a frame in a segment, and the frames walked before it. */
export interface FrameBoundary {
  readonly position: number;
  readonly maxTimestamp: number;
  readonly lastBatchOffset: number;
}

/** Where `segment`'s frames hold `offset`: the start of the frame whose base offset it is
 * (or the end of the frames when it is past them) and the largest timestamp and last
 * base offset of the frames walked before it (from the offset-index entry below
 * `offset`); null when `offset` is inside a frame.
 * @throws CorruptDataError when a damaged frame comes first */
export async function frameBoundary(segment: LogSegment, offset: number): Promise<FrameBoundary | null> {
  if (offset <= segment.baseOffset) return { position: 0, maxTimestamp: -Infinity, lastBatchOffset: -1 };
  const start = segment.offsetIndex.lookup(offset - 1); // its frame starts below `offset`
  let maxTimestamp = -Infinity;
  let lastBatchOffset = -1;
  let inside = false;
  const scan = await scanFrames(segment.fd, start.position, segment.size, start.offset, { verify: false }, (h) => {
    if (h.baseOffset >= offset) return false;
    if (h.baseOffset + h.lastOffsetDelta >= offset) {
      inside = true;
      return false;
    }
    if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
    lastBatchOffset = h.baseOffset;
    return true;
  });
  if (inside) return null;
  if (scan.problem !== null) throw new CorruptDataError(`segment ${segment.baseOffset} has a damaged batch at position ${scan.position}: ${scan.problem}`);
  return { position: scan.position, maxTimestamp, lastBatchOffset };
}
