/**
 * Opening existing segments: index checks, rebuilds and the recovery of the active
 * segment (DESIGN.md section 3, "Recovery").
 *
 * Indexes are derived data. A sealed segment's index files are trusted when they pass
 * `OffsetIndex.fromBuffer`/`TimeIndex.fromBuffer` against the segment's limits and the
 * last offset-index entry points at a frame header with that base offset; otherwise
 * they are rebuilt from the log (frames crc-checked); see `loadSealedSegment` for what is
 * trusted after a power loss and how a hole is found. The active (last) segment is
 * scanned from its last trusted offset-index entry (or from 0), every frame's structure
 * and crc verified, and a torn or corrupt tail is truncated; index entries at or past
 * the truncation point are dropped, so an index is never trusted past the log's valid
 * length. After a clean shutdown a corrupt frame in a sealed segment is logged and left
 * in place (bit rot: reads of it fail with CorruptDataError, the rest of the log stays
 * readable); after an unclean one the log is truncated there (log-loader.ts).
 */
import path from "node:path";
import type { Logger } from "pino";
import { frameHeaderBytes, frameMagic, readInt64, type BatchHeader } from "./batch-frame.js";
import { closeFd, fdatasync, fileSize, ftruncate, openFd, pread } from "./file-io.js";
import { scanFrames } from "./frame-scanner.js";
import { LogSegment } from "./log-segment.js";
import { OffsetIndex, defaultMaxIndexEntries, type OffsetPosition } from "./offset-index.js";
import { TimeIndex } from "./time-index.js";

/** Opens a segment file read-write and wraps it; indexes are empty until loaded. */
export async function openSegmentFile(dir: string, baseOffset: number, logger: Logger): Promise<LogSegment> {
  const fd = await openFd(path.join(dir, LogSegment.fileName(baseOffset, ".log")), "r+");
  try {
    return LogSegment.fromFile(dir, baseOffset, fd, await fileSize(fd), logger);
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

/** True when a frame header with base offset `offset` starts at `position`. */
async function frameStartsAt(segment: LogSegment, entry: OffsetPosition): Promise<boolean> {
  if (entry.position + frameHeaderBytes > segment.size) return false;
  const header = await pread(segment.fd, entry.position, frameHeaderBytes);
  return header.length === frameHeaderBytes && header[16] === frameMagic && readInt64(header, 0) === entry.offset;
}

/** Where a sealed segment's sound data ends short of its successor: the log is cut there. */
export interface SegmentHole {
  /** Bytes of sound frames at the start of the file. */
  readonly position: number;
  /** One past the last sound offset: the first offset missing. */
  readonly nextOffset: number;
  readonly problem: string;
}

export interface SealedLoadOptions {
  readonly indexIntervalBytes: number;
  /** The log was closed cleanly (its clean-shutdown marker was found): nothing it wrote
   * can be missing, so damage is bit rot, left in place, not lost writes. */
  readonly clean: boolean;
  /** Compaction may have removed whole segments, so a clean end short of the successor's
   * base offset is a legitimate gap (cleanupPolicy "compact"). */
  readonly allowGaps: boolean;
}

/**
 * Loads a sealed segment's indexes (`endOffset` is the next segment's base offset), or
 * rebuilds and saves them when missing or wrong, and checks that the segment's data is
 * whole.
 *
 * Trust: a sealed segment's indexes are saved durably only after its `.log` was
 * fdatasynced (LogWriter.seal), so indexes that pass validation describe synced data.
 * After a clean shutdown they are trusted as they are; after an unclean one recovery
 * also verifies the frames after the last offset-index entry (one short read) and that
 * they end at the end of the file, at the successor's base offset. Anything else gets
 * a full verified scan. After an unclean shutdown, a scan that stops short of `endOffset` (a torn,
 * zeroed or missing tail: writes a power loss dropped) is a hole, returned for the
 * caller to truncate the log at; after a clean one the damage is logged and left.
 * @returns null when the segment is whole (or its damage is left in place), else the hole
 */
export async function loadSealedSegment(segment: LogSegment, endOffset: number, options: SealedLoadOptions, logger: Logger): Promise<SegmentHole | null> {
  const offsetIndex = await OffsetIndex.load(segment.indexPath, segment.baseOffset, endOffset, segment.size);
  const timeIndex = await TimeIndex.load(segment.timeIndexPath, segment.baseOffset, endOffset, defaultMaxIndexEntries + 1);
  const last = offsetIndex?.lastEntry() ?? null;
  const sound =
    offsetIndex !== null &&
    timeIndex !== null &&
    (segment.size === 0 || timeIndex.entries > 0) &&
    (last === null || (await frameStartsAt(segment, last)));
  segment.sealAt(endOffset);
  if (sound) {
    // After a clean shutdown everything was synced: the indexes are trusted as they are.
    let whole = options.clean;
    if (!whole) {
      const from = last ?? { offset: segment.baseOffset, position: 0 };
      const tail = await scanFrames(segment.fd, from.position, segment.size, from.offset, { verify: true }, () => true);
      whole = tail.problem === null && (tail.nextOffset === endOffset || options.allowGaps);
    }
    if (whole) {
      segment.replaceIndexes(offsetIndex, timeIndex);
      return null;
    }
  }
  logger.warn({ path: segment.logPath, baseOffset: segment.baseOffset }, "rebuilding segment indexes");
  segment.replaceIndexes(new OffsetIndex(segment.baseOffset), new TimeIndex(segment.baseOffset, defaultMaxIndexEntries + 1));
  const scan = await scanFrames(segment.fd, 0, segment.size, segment.baseOffset, { verify: true }, (h, position) => {
    segment.replayFrame(h, position, options.indexIntervalBytes);
    return true;
  });
  const short = scan.problem !== null || (scan.nextOffset < endOffset && !options.allowGaps);
  if (short && !options.clean) {
    return { position: scan.position, nextOffset: scan.nextOffset, problem: scan.problem ?? "ends before the next segment" };
  }
  if (scan.problem !== null) {
    logger.error({ path: segment.logPath, position: scan.position, problem: scan.problem }, "corrupt batch frame in sealed segment");
  }
  segment.sealAt(endOffset); // the replay moved it to the last frame's end
  segment.finishTimeIndex();
  await fdatasync(segment.fd); // durable indexes claim synced data (a process crash may have left it in the page cache only)
  await segment.saveIndexes(true);
  return null;
}

/**
 * Loads the active segment's indexes when they can be trusted and returns the recovery
 * point: the last offset-index entry inside the file whose frame header checks out, or
 * the segment start (indexes reset) when there is none. Time-index entries after that
 * point are dropped; their timestamps still count in `maxTimestamp` (an overestimate,
 * which is safe: see TimeIndex).
 */
export async function loadActiveIndexes(segment: LogSegment): Promise<OffsetPosition> {
  const unbounded = Number.MAX_SAFE_INTEGER;
  const offsetIndex = await OffsetIndex.load(segment.indexPath, segment.baseOffset, unbounded, unbounded);
  const timeIndex = await TimeIndex.load(segment.timeIndexPath, segment.baseOffset, unbounded, defaultMaxIndexEntries + 1);
  const start = { offset: segment.baseOffset, position: 0 };
  if (offsetIndex === null || timeIndex === null) return start;
  offsetIndex.truncateToPosition(segment.size);
  const last = offsetIndex.lastEntry();
  if (last === null || !(await frameStartsAt(segment, last))) return start;
  segment.replaceIndexes(offsetIndex, timeIndex); // maxTimestamp from all its entries, before the cut
  timeIndex.truncateAfter(last.offset);
  return last;
}

/**
 * Scans the active segment from `start` (see `loadActiveIndexes`), re-indexing frames,
 * and truncates the file at the first torn, malformed or crc-failing frame.
 * @param onFrame sees every sound frame from `start` on, in order (producer-state replay)
 */
export async function recoverActiveSegment(
  segment: LogSegment,
  start: OffsetPosition,
  indexIntervalBytes: number,
  logger: Logger,
  onFrame: (header: BatchHeader) => void,
): Promise<void> {
  const fileBytes = segment.size;
  const rollingBaseMs = start.position > 0 ? readInt64(await pread(segment.fd, 0, frameHeaderBytes), 35) : null;
  const scan = await scanFrames(segment.fd, start.position, fileBytes, start.offset, { verify: true }, (h, position) => {
    segment.replayFrame(h, position, indexIntervalBytes);
    onFrame(h);
    return true;
  });
  if (scan.problem !== null) {
    logger.warn(
      { path: segment.logPath, position: scan.position, bytesTruncated: fileBytes - scan.position, problem: scan.problem },
      "truncated torn or corrupt log tail",
    );
    await ftruncate(segment.fd, scan.position);
  }
  segment.recoverTo(scan.position, scan.nextOffset, rollingBaseMs);
}
