/**
 * Collecting record entries for a fetch out of a buffer of frames, without decoding
 * records: frames wholly below the target are skipped by their header, entries below it
 * inside the first frame by walking `0x0A varint length` and comparing each entry's own
 * offset (record-entry.ts; compacted frames have gaps, see batch-frame.ts), and the rest
 * is taken as subarrays (no copy). Used by LogSegment.read on tail memory and on
 * positional reads of the file.
 */
import { frameCrcMatches, frameHeaderBytes, frameHeaderProblem, frameLastOffsetDelta, frameLength, frameRecordCount } from "./batch-frame.js";
import { entryLengthAt, entryOffsetAt } from "./record-entry.js";

/** What `LogSegment.read` found in one segment (Kafka's FetchDataInfo). */
export interface SegmentRead {
  readonly chunks: Buffer[];
  readonly bytes: number;
  readonly recordCount: number;
  /** Offset of the first record collected (meaningless while none). */
  readonly firstOffset: number;
  /** One past the last offset collected (the target while none). */
  readonly nextOffset: number;
  /** Bytes read from the file (FetchData.readBytes). */
  readonly readBytes: number;
}

/** A read in progress: what it collected so far plus where the walk stands. `read`
 * returns it as its SegmentRead when the walk is done. */
export interface ReadCursor extends SegmentRead {
  bytes: number;
  recordCount: number;
  firstOffset: number;
  nextOffset: number;
  readBytes: number;
  target: number;
  maxBytes: number;
  /** File position of the next frame to look at. */
  position: number;
  /** Base offset that frame must have. */
  expected: number;
  /** With "more": bytes needed from `position`. */
  need: number;
  /** Why the walk stopped at a damaged frame, or null. */
  problem: string | null;
}

/** done: budget reached or data ended; more: read `need` bytes from `position` and walk
 * again; corrupt: `problem` names the damage at `position`. */
export type Walk = "done" | "more" | "corrupt";

/**
 * Walks frames in `buf` (holding the file from `bufPosition`) from `s.position`, up to
 * file position `end`, appending entry slices to `s`. Frames entirely below the target
 * are skipped by their header alone. Returns "more" (with `s.need` bytes from
 * `s.position`) when the buffer ends before a needed frame and nothing is collected yet.
 */
export function collectEntries(buf: Buffer, bufPosition: number, end: number, verify: boolean, s: ReadCursor): Walk {
  const bufEnd = bufPosition + buf.length;
  while (s.position < end) {
    if (s.position + frameHeaderBytes > bufEnd) return more(s, frameHeaderBytes);
    const at = s.position - bufPosition;
    s.problem = frameHeaderProblem(buf, at, s.expected, end - s.position);
    if (s.problem !== null) return "corrupt";
    const length = frameLength(buf, at);
    const base = s.expected;
    const last = base + frameLastOffsetDelta(buf, at);
    if (last < s.target) {
      s.position += length;
      s.expected = last + 1;
      continue;
    }
    if (s.position + length > bufEnd) return more(s, length);
    if (verify && !frameCrcMatches(buf, at, length)) {
      s.problem = "crc mismatch";
      return "corrupt";
    }
    const frameEnd = at + length;
    let first = at + frameHeaderBytes;
    let skipped = 0;
    if (s.recordCount === 0) {
      // The first frame: skip the entries below the target by their own offsets.
      let firstOffset = entryOffsetAt(buf, first, frameEnd);
      while (firstOffset >= 0 && firstOffset < s.target) {
        first += entryLengthAt(buf, first, frameEnd); // >= 0: entryOffsetAt checked the entry's head
        skipped++;
        firstOffset = entryOffsetAt(buf, first, frameEnd);
      }
      if (firstOffset < 0) {
        s.problem = "bad entry";
        return "corrupt";
      }
      s.firstOffset = firstOffset;
    }
    const room = s.maxBytes - s.bytes;
    if (frameEnd - first <= room) {
      s.chunks.push(buf.subarray(first, frameEnd));
      s.bytes += frameEnd - first;
      s.recordCount += frameRecordCount(buf, at) - skipped;
      s.nextOffset = last + 1; // the last entry's offset (batch-frame.ts)
    } else {
      let cut = first;
      let lastTaken = -1;
      let n = 0;
      while (cut < frameEnd) {
        const entry = entryLengthAt(buf, cut, frameEnd);
        if (entry < 0) {
          s.problem = "bad entry";
          break;
        }
        if (cut + entry - first > room && (n > 0 || s.bytes > 0)) break;
        lastTaken = cut;
        cut += entry;
        n++;
      }
      const lastOffset = n > 0 ? entryOffsetAt(buf, lastTaken, frameEnd) : -1;
      if (lastOffset >= 0) {
        s.chunks.push(buf.subarray(first, cut));
        s.bytes += cut - first;
        s.recordCount += n;
        s.nextOffset = lastOffset + 1;
      } else if (n > 0) {
        s.problem = "bad entry";
      }
      return "done";
    }
    s.position += length;
    s.expected = last + 1;
    if (s.bytes >= s.maxBytes) return "done";
  }
  return "done";
}

function more(s: ReadCursor, need: number): Walk {
  if (s.bytes > 0) return "done";
  s.need = need;
  return "more";
}
