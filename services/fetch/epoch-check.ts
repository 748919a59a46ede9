import type { Log } from "../log/index.js";

/**
 * KIP-320's check of a reader's position: the reader is at `offset` and the record it
 * consumed before it (at `offset` - 1) had leader epoch `lastEpoch`. Returns the
 * truncation point when this log no longer has that history up to `offset` (an
 * unclean restart lost records the reader saw and gave their offsets to new ones:
 * continuing would read different records under the same offsets), else null.
 *
 * The end of the reader's history here is `Log.endOffsetForEpoch(lastEpoch)`: the end
 * of the largest epoch at or below it. An epoch above every epoch of this log is a
 * history the log never had (its data was replaced): the reader keeps only what lies
 * below the current epoch's start. A reader in the current epoch shares the log's
 * history up to its end: an offset past it is out of range, not a truncation.
 */
export function truncationPoint(log: Log, offset: bigint, lastEpoch: number | undefined): bigint | null {
  if (lastEpoch === undefined || lastEpoch < 0 || offset <= 0n) return null;
  if (lastEpoch === log.leaderEpoch) return null;
  const end = log.endOffsetForEpoch(lastEpoch);
  let point = end.endOffset;
  if (point < 0n) {
    const epochs = log.leaderEpochs();
    point = epochs.length === 0 ? log.logEndOffset : BigInt(epochs[epochs.length - 1].startOffset);
  }
  return offset > point ? point : null;
}
