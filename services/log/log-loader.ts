/**
 * Opening a partition directory: finds the segments, loads or rebuilds their indexes,
 * recovers the active segment, rebuilds producer state and reads the persisted
 * logStartOffset.
 *
 * Directory contents: `<20-digit baseOffset>.log|.index|.timeindex` per segment,
 * `log-start-offset` (decimal text, replaced atomically and fsynced), and
 * `producer-state.snapshot` (see ProducerStateManager, written at every segment roll and on clean close).
 * `truncating-to` exists only while a truncation runs (see `completeTruncation`).
 * Leftover `*.tmp` files, `*.log.cleaned` files (a compaction that did not reach its
 * rename, see log-cleaner.ts) and indexes without a `.log` are removed.
 *
 * Producer state: loaded from the snapshot when it covers the recovery scan of the
 * active segment (its endOffset is at or past the scan start and not past the log end),
 * then the frames after it are replayed; otherwise rebuilt from the frame headers of the
 * active segment only. Limit: after a crash, a producer whose last batch is in an older
 * segment is forgotten, so a retry of that batch would be appended again. Rebuilt
 * batches report the frame's maxTimestamp as their logAppendTimeMs.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { BatchHeader } from "./batch-frame.js";
import { closeFd, fdatasync, fileSize, fsyncDir, ftruncate, openFd, readFileIfExists, unlinkIfExists } from "./file-io.js";
import { scanFrames } from "./frame-scanner.js";
import { LeaderEpochCache } from "./leader-epoch-cache.js";
import type { LogConfig } from "./log-config.js";
import { LogSegment } from "./log-segment.js";
import { ProducerStateManager } from "./producer-state.js";
import { loadActiveIndexes, loadSealedSegment, openSegmentFile, recoverActiveSegment, type SegmentHole } from "./segment-recovery.js";

export const logStartOffsetFile = "log-start-offset";
export const producerSnapshotFile = "producer-state.snapshot";
/** Written (durably) as the last step of a clean close, removed (durably) by open before
 * anything else happens, so its presence at open means the previous close completed
 * (Kafka's `.kafka_cleanshutdown`, per partition here). */
export const cleanShutdownFile = "clean-shutdown";
/** Written (durably) by Log.truncateTo before it changes any file, holding the target
 * offset; removed when every file is truncated. Found at open, it means a truncation
 * was cut short: open completes it first (`completeTruncation`). */
export const truncationFile = "truncating-to";

export interface LoadedLog {
  readonly segments: LogSegment[];
  readonly producers: ProducerStateManager;
  readonly logStartOffset: number;
  /** False when the directory held a log that was not closed cleanly (a crash, kill -9
   * or power loss): the caller starts a new leader epoch. True for a new log. */
  readonly cleanShutdown: boolean;
}

function replayInto(producers: ProducerStateManager): (h: BatchHeader) => void {
  return (h) => {
    if (h.producerId < 0n || h.baseSequence < 0n) return;
    const lastOffset = h.baseOffset + h.lastOffsetDelta;
    producers.record(h.producerId, { sequence: h.baseSequence, baseOffset: h.baseOffset, lastOffset, appendTimeMs: h.maxTimestamp });
  };
}

async function replayHeaders(segment: LogSegment, end: number, producers: ProducerStateManager): Promise<void> {
  const replay = replayInto(producers);
  await scanFrames(segment.fd, 0, end, segment.baseOffset, { verify: false }, (h) => {
    replay(h);
    return true;
  });
}

/** Reads a partition directory, creating it (with one empty segment) when missing. */
export async function loadLog(dir: string, config: Readonly<LogConfig>, logger: Logger): Promise<LoadedLog> {
  await fs.promises.mkdir(dir, { recursive: true });
  await completeTruncation(dir, logger);
  const names = await fs.promises.readdir(dir);
  const bases: number[] = [];
  for (const name of names) {
    const base = LogSegment.parseFileName(name);
    if (base !== null) bases.push(base);
  }
  bases.sort((a, b) => a - b);
  for (const name of names) {
    const orphan = /^(\d{20})\.(index|timeindex)$/.exec(name);
    if (name.endsWith(".tmp") || name.endsWith(".cleaned") || (orphan !== null && !bases.includes(Number(orphan[1])))) {
      await unlinkIfExists(path.join(dir, name));
    }
  }
  const markerPath = path.join(dir, cleanShutdownFile);
  const clean = (await readFileIfExists(markerPath)) !== null;
  if (clean) {
    // Gone for good before any append: a crash from now on must not look clean.
    await unlinkIfExists(markerPath);
    await fsyncDir(dir);
  }
  const stored = await readFileIfExists(path.join(dir, logStartOffsetFile));
  const storedStart = stored === null ? 0 : Number(stored.toString("utf8").trim());
  const persistedStart = Number.isSafeInteger(storedStart) && storedStart >= 0 ? storedStart : 0;

  const segments: LogSegment[] = [];
  if (bases.length === 0) {
    segments.push(LogSegment.create(dir, persistedStart, logger));
    await fsyncDir(dir);
    return { segments, producers: new ProducerStateManager(), logStartOffset: persistedStart, cleanShutdown: true };
  }
  try {
    return await recoverSegments(dir, bases, persistedStart, segments, config, clean, logger);
  } catch (err) {
    for (const segment of segments) await segment.close().catch(() => undefined);
    throw err;
  }
}

async function recoverSegments(
  dir: string,
  bases: number[],
  persistedStart: number,
  segments: LogSegment[],
  config: Readonly<LogConfig>,
  clean: boolean,
  logger: Logger,
): Promise<LoadedLog> {
  let producers = new ProducerStateManager();
  const options = { indexIntervalBytes: config.indexIntervalBytes, clean, allowGaps: config.cleanupPolicy === "compact" };
  for (let i = 0; i < bases.length - 1; i++) {
    const segment = await openSegmentFile(dir, bases[i], logger);
    segments.push(segment);
    const hole = await loadSealedSegment(segment, bases[i + 1], options, logger);
    if (hole !== null) {
      await truncateAtHole(dir, bases, i, hole, logger);
      segments.pop();
      await segment.close(); // reopened below as the active segment, which recovery truncates
      break;
    }
  }
  const active = await openSegmentFile(dir, bases[bases.length - 1], logger);
  segments.push(active);
  const start = await loadActiveIndexes(active);

  const snapshotBytes = await readFileIfExists(path.join(dir, producerSnapshotFile));
  const snapshot = snapshotBytes === null ? null : ProducerStateManager.fromSnapshot(snapshotBytes);
  let replayFrom = 0;
  if (snapshot !== null && snapshot.endOffset >= start.offset) {
    producers = snapshot.state;
    replayFrom = snapshot.endOffset;
  } else if (snapshot !== null && snapshot.endOffset === active.baseOffset) {
    // Saved at the roll that started the active segment (Log.snapshotProducersAtRoll):
    // the sealed segments' batches come from it, the active segment's from its headers.
    producers = snapshot.state;
    if (start.position > 0) await replayHeaders(active, start.position, producers);
  } else if (start.position > 0) {
    await replayHeaders(active, start.position, producers);
  }
  const replay = replayInto(producers);
  await recoverActiveSegment(active, start, config.indexIntervalBytes, logger, (h) => {
    if (h.baseOffset >= replayFrom) replay(h);
  });
  if (snapshot !== null && replayFrom > active.nextOffset) {
    producers = new ProducerStateManager(); // the snapshot is past a truncated tail
    await replayHeaders(active, active.size, producers);
  }
  await fdatasync(active.fd); // what a previous process wrote may still be in the page cache only

  let logStartOffset = Math.max(persistedStart, segments[0].baseOffset);
  if (logStartOffset > active.nextOffset) {
    // Records below a persisted logStartOffset were lost (machine crash without fsync):
    // start empty at it, so offsets never go below it (Kafka's truncateFullyAndStartAt).
    logger.warn({ dir, logStartOffset, logEndOffset: active.nextOffset }, "log end below log start offset, starting empty");
    for (const segment of segments) await segment.delete();
    segments.length = 0;
    segments.push(LogSegment.create(dir, logStartOffset, logger));
    await fsyncDir(dir);
    producers = new ProducerStateManager();
  }
  logStartOffset = Math.max(logStartOffset, segments[0].baseOffset);
  return { segments, producers, logStartOffset, cleanShutdown: clean };
}

/**
 * A sealed segment ends short of its successor (issue 14: a power loss dropped its
 * unsynced tail while a later segment survived). Records after the hole were
 * acknowledged after the lost ones, so they are a suffix the log cannot keep without
 * skipping offsets: every later segment is removed (newest first, then the directory
 * fsynced, before anything reuses their offsets), and `bases` is cut to end with the
 * damaged segment, which the caller recovers as the active one.
 */
async function truncateAtHole(dir: string, bases: number[], i: number, hole: SegmentHole, logger: Logger): Promise<void> {
  const removed = bases.splice(i + 1);
  logger.error(
    {
      dir,
      baseOffset: bases[i],
      truncateTo: hole.nextOffset,
      position: hole.position,
      problem: hole.problem,
      nextSegmentBaseOffset: removed[0],
      segmentsRemoved: removed.length,
    },
    "log truncated at a hole: a sealed segment lost records (unclean shutdown), later segments removed",
  );
  for (const base of removed.reverse()) {
    for (const suffix of [".log", ".index", ".timeindex"]) await unlinkIfExists(path.join(dir, LogSegment.fileName(base, suffix)));
  }
  await fsyncDir(dir);
}

/**
 * Finishes a truncation that a crash cut short (Log.truncateTo wrote `truncating-to`,
 * then started changing files): removes the segments above the target (newest first),
 * cuts the segment holding it at the first frame at or above it, fdatasyncs it and
 * removes its indexes (rebuilt by recovery, which scans it as the active segment),
 * truncates the epoch checkpoint, removes the producer snapshot, and only then, with
 * the directory fsynced, the marker. Every step is idempotent: a crash during this one
 * is completed by the next open.
 */
async function completeTruncation(dir: string, logger: Logger): Promise<void> {
  const marker = path.join(dir, truncationFile);
  const text = await readFileIfExists(marker);
  if (text === null) return;
  const target = Number(text.toString("utf8").trim());
  if (!Number.isSafeInteger(target) || target < 0) {
    // Written atomically, so never torn: a bad value is not ours. Leave the log alone.
    logger.error({ dir, marker: text.toString("utf8") }, "unreadable truncation marker ignored");
    await unlinkIfExists(marker);
    return;
  }
  const bases = (await fs.promises.readdir(dir))
    .map((name) => LogSegment.parseFileName(name))
    .filter((base): base is number => base !== null)
    .sort((a, b) => a - b);
  logger.warn({ dir, truncateTo: target }, "completing a log truncation cut short by a crash");
  await unlinkIfExists(path.join(dir, producerSnapshotFile));
  for (const base of bases.filter((b) => b > target).reverse()) {
    for (const suffix of [".log", ".index", ".timeindex"]) await unlinkIfExists(path.join(dir, LogSegment.fileName(base, suffix)));
  }
  const floor = bases.filter((b) => b <= target).pop();
  if (floor !== undefined) {
    const fd = await openFd(path.join(dir, LogSegment.fileName(floor, ".log")), "r+");
    try {
      const size = await fileSize(fd);
      const scan = await scanFrames(fd, 0, size, floor, { verify: false }, (h) => h.baseOffset < target);
      if (scan.position < size) await ftruncate(fd, scan.position);
      await fdatasync(fd);
    } finally {
      await closeFd(fd);
    }
    await unlinkIfExists(path.join(dir, LogSegment.fileName(floor, ".index")));
    await unlinkIfExists(path.join(dir, LogSegment.fileName(floor, ".timeindex")));
  }
  const epochs = await LeaderEpochCache.load(dir);
  if (epochs !== null) {
    epochs.truncateFromEnd(target);
    await epochs.save();
  }
  await fsyncDir(dir);
  await unlinkIfExists(marker);
  await fsyncDir(dir);
}
