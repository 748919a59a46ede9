/**
 * Reading whole frames as stored, for replication (Log.readFrames, CLUSTER.md section
 * 4): a leader sends its followers byte-identical frames. Reads pin the segment they
 * scan (LogSegment.acquire), so a deletion or a compaction's swap closes its file only
 * after them.
 */
import { CorruptDataError, InvalidArgumentError } from "../errors.js";
import { scanFrames } from "./frame-scanner.js";
import type { LogSegments } from "./log-segments.js";

/** Where to read and what the log looks like now (read again at each step: a
 * truncation or a compaction may change it while a read waits for the disk). */
export interface FrameSource {
  /** The log's current segment list. */
  segments(): LogSegments;
  /** The log's written end: frames at or above it are not read. */
  writtenEnd(): number;
  /** Throws LOG_CLOSED once the log began to close. */
  checkOpen(): void;
}

/**
 * Whole frames from the frame whose base offset is `offset` on, below the written end:
 * at least one frame when there is one, else at most `maxBytes`; from a single segment.
 * A copy; each frame's crc is checked. Empty (nextOffset where the next frame will be)
 * at or above the written end.
 * @throws InvalidArgumentError OFFSET_INSIDE_BATCH when `offset` is not a frame's base
 *   offset; CorruptDataError for a damaged frame; UnavailableError LOG_CLOSED
 */
export async function readFrames(source: FrameSource, offset: number, maxBytes: number): Promise<{ frames: Buffer; nextOffset: number }> {
  let target = offset;
  while (target < source.writtenEnd()) {
    const segment = source.segments().floor(target);
    if (!segment.isOpen) {
      source.checkOpen();
      continue; // deleted or swapped meanwhile: look again
    }
    const start = segment.offsetIndex.lookup(target);
    const end = segment.writtenSize;
    const parts: Buffer[] = [];
    let bytes = 0;
    let next = target;
    let inside = false;
    segment.acquire();
    let scan;
    try {
      scan = await scanFrames(segment.fd, start.position, end, start.offset, { verify: true, chunkBytes: Math.max(64 * 1024, maxBytes) }, (h, _position, buf, at) => {
        const last = h.baseOffset + h.lastOffsetDelta;
        if (last < target) return true;
        if (h.baseOffset < target) {
          inside = true;
          return false;
        }
        if (parts.length > 0 && bytes + h.frameLength > maxBytes) return false;
        parts.push(Buffer.from(buf.subarray(at, at + h.frameLength)));
        bytes += h.frameLength;
        next = last + 1;
        return true;
      });
    } finally {
      segment.release();
    }
    if (inside) throw new InvalidArgumentError("OFFSET_INSIDE_BATCH", `offset ${target} is inside a batch`);
    if (parts.length > 0) return { frames: parts.length === 1 ? parts[0] : Buffer.concat(parts), nextOffset: next };
    if (scan.problem !== null) throw new CorruptDataError(`segment ${segment.baseOffset} has a damaged batch at position ${scan.position}: ${scan.problem}`);
    const higher = source.segments().higher(segment.baseOffset);
    if (higher === null || !segment.sealed) break;
    target = Math.max(target, higher.baseOffset); // the rest of `segment` was compacted away
  }
  return { frames: Buffer.alloc(0), nextOffset: target };
}
