import type { Logger } from "pino";
import { LeaderEpochCache } from "./leader-epoch-cache.js";
import type { LoadedLog } from "./log-loader.js";

/**
 * The leader epochs of a log just loaded: read (or rebuilt from the frames), cut at the
 * log end, and (one broker only) after an unclean shutdown a new epoch one above the
 * largest ever written, starting at the log end; saved durably before any append can
 * carry it. A replicated log starts no epoch here: in a cluster only the controller
 * creates epochs (CLUSTER.md section 4), given to the leader by `startLeaderEpoch`.
 */
export async function openLeaderEpochs(dir: string, loaded: LoadedLog, logger: Logger, replicated: boolean): Promise<LeaderEpochCache> {
  const logEndOffset = loaded.segments[loaded.segments.length - 1].nextOffset;
  let epochs = await LeaderEpochCache.load(dir);
  let changed = epochs === null;
  if (epochs === null) {
    epochs = await LeaderEpochCache.rebuildFromSegments(dir, loaded.segments);
    if (epochs.latestEpoch >= 0) logger.warn({ dir, epochs: epochs.toArray().length }, "leader epoch checkpoint rebuilt from the log");
  }
  const largest = epochs.latestEpoch;
  const entries = epochs.toArray().length;
  epochs.truncateFromEnd(logEndOffset + 1); // epochs whose records were all lost
  changed ||= epochs.toArray().length !== entries;
  let epoch = largest;
  if (replicated) {
    // One owner for epoch numbers in a cluster: the controller (startLeaderEpoch).
    if (changed) await epochs.save();
    return epochs;
  }
  if (largest < 0 && loaded.cleanShutdown) epoch = 0;
  else if (!loaded.cleanShutdown || epochs.latestEpoch !== largest) epoch = Math.max(largest, 0) + 1;
  if (epoch !== epochs.latestEpoch) {
    epochs.assign(epoch, logEndOffset);
    changed = true;
    if (epoch > 0) logger.warn({ dir, leaderEpoch: epoch, logEndOffset }, "unclean shutdown: new leader epoch");
  }
  if (changed) await epochs.save();
  return epochs;
}
