/**
 * The file work of a truncation (Log.truncateTo, Kafka's LocalLog.truncateTo) and of
 * emptying a log to start again (Log.truncateFullyAndStartAt), in an order a crash
 * cannot break. The Log changes its state in memory, in one step, between
 * `writeTruncationMarker` and these; a failure here leaves files that the next open
 * completes (log-loader.ts), so the Log then refuses appends until reopened.
 */
import path from "node:path";
import { fsyncDir, storageError, unlinkIfExists, writeFileAtomic } from "./file-io.js";
import type { LeaderEpochCache } from "./leader-epoch-cache.js";
import { logStartOffsetFile, producerSnapshotFile, truncationFile } from "./log-loader.js";
import type { LogSegment } from "./log-segment.js";

/**
 * The commit point of a truncation to `target`: the marker file (`truncating-to`, the
 * target offset) written durably. From here on a crash reopens the truncated log
 * (log-loader.ts); a failure before it leaves everything as it was. Returns its path.
 * @throws UnavailableError STORAGE_ERROR, StorageFullError
 */
export async function writeTruncationMarker(dir: string, target: number): Promise<string> {
  const marker = path.join(dir, truncationFile);
  await writeFileAtomic(marker, Buffer.from(`${target}\n`), true).catch((err: unknown) => Promise.reject(storageError(err)));
  return marker;
}

/**
 * After the marker: the producer snapshot goes, the `removed` segments are deleted
 * newest first, `segment` (cut in memory already) is cut on disk and fdatasynced with
 * its indexes saved, the epoch checkpoint is saved (`epochsSaved` called then), and the
 * marker removed.
 */
export async function truncateFiles(
  dir: string,
  marker: string,
  removed: readonly LogSegment[],
  segment: LogSegment,
  epochs: LeaderEpochCache,
  epochsSaved: () => void,
): Promise<void> {
  await unlinkIfExists(path.join(dir, producerSnapshotFile));
  for (const s of [...removed].reverse()) await s.delete();
  await segment.truncateFile();
  await segment.saveIndexes(true);
  await epochs.save();
  epochsSaved();
  await fsyncDir(dir);
  await unlinkIfExists(marker);
  await fsyncDir(dir);
}

/**
 * Emptying a log to start at `startOffset`: the producer snapshot goes, the `old`
 * segments are deleted newest first (a crash leaves a shorter log, from which the
 * follower does this again), then the (emptied) epoch checkpoint is saved
 * (`epochsSaved` called then) and the log start offset durably.
 */
export async function restartFiles(
  dir: string,
  old: readonly LogSegment[],
  startOffset: number,
  epochs: LeaderEpochCache,
  epochsSaved: () => void,
): Promise<void> {
  await unlinkIfExists(path.join(dir, producerSnapshotFile));
  for (const s of [...old].reverse()) await s.delete();
  await epochs.save();
  epochsSaved();
  await writeFileAtomic(path.join(dir, logStartOffsetFile), Buffer.from(`${startOffset}\n`), true);
  await fsyncDir(dir);
}
