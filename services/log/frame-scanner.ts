/**
 * Sequential scan of a segment file's frames with large positional reads, for recovery,
 * index rebuilds, producer-state replay and timestamp searches (never the fetch path).
 */
import { frameHeaderBytes, frameCrcMatches, frameHeaderProblem, readFrameHeader, type BatchHeader } from "./batch-frame.js";
import { pread } from "./file-io.js";

/** Called per sound frame. With `verify`, `buf[at, at + frameLength)` is the whole frame
 * (crc checked); without, only its header is guaranteed to be in `buf`. Return false to stop. */
export type FrameVisitor = (header: BatchHeader, position: number, buf: Buffer, at: number) => boolean;

export interface ScanResult {
  /** End of the last sound frame visited, or the position of the frame the visitor stopped at. */
  readonly position: number;
  /** One past the last offset of the frames visited (the first expected base when none). */
  readonly nextOffset: number;
  /** Why the frame at `position` is not sound, or null. */
  readonly problem: string | null;
  readonly stopped: boolean;
}

const defaultChunkBytes = 1 << 20;

/**
 * Visits frames from `start` to `end`. Stops at the first frame that is torn (runs past
 * `end`), structurally wrong (bad magic, length, count, or a base offset that does not
 * continue the previous frame) or, with `verify`, fails its crc.
 * @param expectedBase the base offset of the frame at `start`, or -1 if unknown
 */
export async function scanFrames(
  fd: number,
  start: number,
  end: number,
  expectedBase: number,
  options: { verify: boolean; chunkBytes?: number },
  visit: FrameVisitor,
): Promise<ScanResult> {
  const chunkBytes = options.chunkBytes ?? defaultChunkBytes;
  let buf: Buffer = Buffer.alloc(0);
  let bufPosition = start;
  let position = start;
  let expected = expectedBase;
  const result = (problem: string | null, stopped: boolean): ScanResult => ({
    position,
    nextOffset: expected,
    problem,
    stopped,
  });
  while (position < end) {
    if (end - position < frameHeaderBytes) return result("torn header", false);
    if (position + frameHeaderBytes > bufPosition + buf.length) {
      buf = await pread(fd, position, Math.min(end - position, chunkBytes));
      bufPosition = position;
      if (buf.length < frameHeaderBytes) return result("short read", false);
    }
    let at = position - bufPosition;
    const problem = frameHeaderProblem(buf, at, expected, end - position);
    if (problem !== null) return result(problem, false);
    const header = readFrameHeader(buf, at);
    if (options.verify) {
      if (at + header.frameLength > buf.length) {
        buf = await pread(fd, position, Math.min(end - position, Math.max(chunkBytes, header.frameLength)));
        bufPosition = position;
        at = 0;
        if (buf.length < header.frameLength) return result("short read", false);
      }
      if (!frameCrcMatches(buf, at, header.frameLength)) return result("crc mismatch", false);
    }
    if (!visit(header, position, buf, at)) return result(null, true);
    position += header.frameLength;
    expected = header.baseOffset + header.lastOffsetDelta + 1;
  }
  return result(null, false);
}
