/**
 * Log compaction for cleanupPolicy "compact" (DESIGN.md section 3; Kafka's LogCleaner,
 * simplified): keeps the newest record per key in the sealed segments of one log.
 *
 * A pass: (1) inside the log's queue, write and fsync everything appended, so that every
 * record the pass counts as "newer" is durable before an older one is dropped for it;
 * (2) scan every segment (the active one up to what was just flushed) into a map
 * key -> offset of the newest record with that key (keys read at the wire level, see
 * record-entry.ts; the map holds every distinct key, as latin1 strings); (3) oldest
 * first, rewrite each sealed segment that has records to drop (SegmentRewriter) and swap
 * the new file in. The active segment is never rewritten. logStartOffset does not move.
 *
 * A record is dropped when its offset is below logStartOffset (already unreadable), or
 * a newer record has the same key, or it is a tombstone (a keyed record whose value is
 * absent or empty) that is the newest for its key while its segment's newest record
 * timestamp (`LogSegment.maxTimestamp`) is more than deleteRetentionMs before `nowMs`.
 * That tombstone rule is simpler than Kafka's (which counts deleteRetentionMs from the
 * first cleaning that kept the tombstone): a tombstone lives at least deleteRetentionMs
 * past its own timestamp. Tombstones are dropped only when every older segment was
 * cleaned in the same pass (no damaged frame met), so a value they hide cannot return.
 * Records without a key are never dropped.
 *
 * Swap, crash-safe: the `.cleaned` file is written and fsynced; the old `.index` and
 * `.timeindex` are unlinked and the directory fsynced (indexes are derived data, and a
 * stale one must never describe the new file); the `.cleaned` file is renamed over the
 * `.log` (atomic) and the directory fsynced; the new indexes are saved. A crash at any
 * point leaves the old or the new `.log`; open removes a leftover `.cleaned` and rebuilds
 * missing indexes. A segment left without records is deleted (`.log` first, directory
 * fsynced), except the log's first segment, swapped for an empty file instead so that
 * the log still starts at logStartOffset after a restart.
 *
 * Concurrency: passes run one at a time (`clean` queues them). Scans and writes run
 * outside the log's queue, so appends and flushes go on, and hold a reference on the
 * segment they read (a concurrent deletion waits for it); a swap runs inside the queue
 * and replaces the segment object in the log synchronously. A reader keeps the segment
 * object it started on, whose fd stays open on the old (unlinked) file until it is done.
 */
import fs from "node:fs";
import type { Logger } from "pino";
import { frameHeaderBytes } from "./batch-frame.js";
import { fsyncDir, unlinkIfExists } from "./file-io.js";
import { scanFrames } from "./frame-scanner.js";
import type { LogSegment } from "./log-segment.js";
import { readEntryFields, type EntryFields } from "./record-entry.js";
import { SegmentRewriter } from "./segment-rewriter.js";
import { SerialQueue } from "./serial-queue.js";

/** What one compaction pass did. */
export interface CompactionResult {
  /** Sealed segments replaced by a compacted copy. */
  segmentsRewritten: number;
  /** Sealed segments deleted because no record in them was kept. */
  segmentsDeleted: number;
  recordsRemoved: number;
}

/** What the cleaner needs from its Log. */
export interface CleanerHost {
  readonly dir: string;
  readonly logger: Logger;
  /** The log's queue: file work that must not interleave with writes, rolls, deletions. */
  readonly queue: SerialQueue;
  isOpen(): boolean;
  /** Run inside the queue: writes and fsyncs everything appended. */
  flush(): Promise<void>;
  /** The segments (a copy; the last one active) and the log's offsets. */
  snapshot(): { segments: LogSegment[]; logStartOffset: number; highWatermark: number };
  /** Whether `segment` is still in the log, and the first one. */
  locate(segment: LogSegment): "first" | "other" | "gone";
  /** Replaces `old` in the log by `created`, or removes it (null); synchronous. */
  replace(old: LogSegment, created: LogSegment | null): void;
}

const noResult = (): CompactionResult => ({ segmentsRewritten: 0, segmentsDeleted: 0, recordsRemoved: 0 });

/** The newest record per key: its offset, or -offset - 1 for a tombstone. */
type KeyMap = Map<string, number>;

/** Where a finished pass left the log; the next pass is skipped while nothing changed. */
interface Idle {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly segmentCount: number;
  /** The smallest maxTimestamp of a sealed segment holding a newest tombstone. */
  readonly oldestTombstoneSegmentMs: number;
}

export class LogCleaner {
  private readonly passes = new SerialQueue();
  private idle: Idle | null = null;

  constructor(private readonly host: CleanerHost) {}

  /** Runs `task` with no pass running (a truncation of the log): after the passes
   * already queued, before any queued later. The next pass starts afresh. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.passes.run(async () => {
      this.idle = null;
      try {
        return await task();
      } finally {
        this.idle = null;
      }
    });
  }

  /** Runs a pass after the ones already queued. */
  clean(nowMs: number, deleteRetentionMs: number, indexIntervalBytes: number): Promise<CompactionResult> {
    return this.passes.run(() => this.pass(nowMs, deleteRetentionMs, indexIntervalBytes));
  }

  private async pass(nowMs: number, deleteRetentionMs: number, indexIntervalBytes: number): Promise<CompactionResult> {
    const { host } = this;
    if (!host.isOpen()) return noResult();
    const start = await host.queue.run(async () => {
      if (!host.isOpen() || this.isIdle(host.snapshot(), nowMs, deleteRetentionMs)) return null;
      await host.flush();
      const snapshot = host.snapshot();
      return { ...snapshot, activeEnd: snapshot.segments[snapshot.segments.length - 1].visibleSize };
    });
    if (start === null) return noResult();
    const { segments, logStartOffset, highWatermark, activeEnd } = start;
    this.idle = null;
    const latest: KeyMap = new Map();
    const dirty = new Array<boolean>(segments.length).fill(false); // has records to drop
    let damaged = false;
    for (let i = 0; i < segments.length; i++) {
      const end = i === segments.length - 1 ? activeEnd : segments[i].size;
      const problem = await this.forEachEntry(segments[i], end, (_buf, _at, e, key) => {
        if (e.offset < logStartOffset) dirty[i] = true;
        if (e.offset < logStartOffset || key === null) return;
        const previous = latest.get(key);
        if (previous !== undefined) dirty[segmentIndex(segments, previous < 0 ? -previous - 1 : previous)] = true;
        latest.set(key, e.valueLength > 0 ? e.offset : -e.offset - 1);
      });
      if (problem === "closed") return noResult();
      damaged ||= problem !== null && problem !== "gone";
    }
    const expired = (s: LogSegment): boolean => nowMs - s.maxTimestamp > deleteRetentionMs;
    for (const value of latest.values()) {
      const i = value < 0 ? segmentIndex(segments, -value - 1) : -1;
      if (i >= 0 && expired(segments[i])) dirty[i] = true;
    }

    const result = noResult();
    for (let i = 0; i < segments.length - 1; i++) {
      if (!host.isOpen()) return result;
      if (!dirty[i]) continue;
      const segment = segments[i];
      const dropTombstones = !damaged && expired(segment);
      const keep = (e: EntryFields, key: string | null): boolean => {
        if (e.offset < logStartOffset) return false;
        const newest = key === null ? undefined : latest.get(key);
        if (newest === undefined) return true;
        if (newest >= 0) return newest <= e.offset; // newer than the map (cannot happen in a sealed segment): keep
        const tombstone = -newest - 1;
        return tombstone < e.offset || (tombstone === e.offset && !dropTombstones);
      };
      const outcome = await this.cleanSegment(segment, keep, indexIntervalBytes);
      if (outcome === "closed") return result;
      if (outcome === "damaged") damaged = true;
      else if (outcome !== "gone" && outcome.removed > 0) {
        result.recordsRemoved += outcome.removed;
        if (outcome.deleted) result.segmentsDeleted++;
        else result.segmentsRewritten++;
      }
    }

    const after = host.snapshot();
    if (!damaged && after.highWatermark === highWatermark) {
      this.idle = {
        highWatermark,
        logStartOffset: after.logStartOffset,
        segmentCount: after.segments.length,
        oldestTombstoneSegmentMs: oldestTombstoneSegmentMs(after.segments, latest),
      };
    }
    if (result.recordsRemoved > 0) host.logger.info({ dir: host.dir, ...result }, "log compacted");
    return result;
  }

  /** True when nothing was committed, deleted or expired since the last complete pass. */
  private isIdle(now: ReturnType<CleanerHost["snapshot"]>, nowMs: number, deleteRetentionMs: number): boolean {
    const idle = this.idle;
    return (
      idle !== null &&
      idle.highWatermark === now.highWatermark &&
      idle.logStartOffset === now.logStartOffset &&
      idle.segmentCount === now.segments.length &&
      !(nowMs - idle.oldestTombstoneSegmentMs > deleteRetentionMs)
    );
  }

  /**
   * Rewrites `segment` keeping the entries `keep` accepts and swaps the result in; leaves
   * the segment alone when nothing would be dropped, when it is damaged ("damaged": a
   * frame fails its checks), or when it left the log meanwhile ("gone").
   */
  private async cleanSegment(
    segment: LogSegment,
    keep: (e: EntryFields, key: string | null) => boolean,
    indexIntervalBytes: number,
  ): Promise<{ removed: number; deleted: boolean } | "gone" | "closed" | "damaged"> {
    const { host } = this;
    if (!segment.isOpen) return "gone";
    const rewriter = await SegmentRewriter.create(segment);
    let removed = 0;
    try {
      const problem = await this.forEachEntry(
        segment,
        segment.size,
        (buf, at, e, key, leaderEpoch) => {
          if (keep(e, key)) rewriter.add(buf, at, e, leaderEpoch);
          else removed++;
        },
        () => (rewriter.shouldWrite ? rewriter.writePending() : null),
      );
      if (problem !== null || removed === 0) {
        await rewriter.discard();
        return problem === "closed" || problem === "gone" ? problem : problem !== null ? "damaged" : { removed: 0, deleted: false };
      }
      await rewriter.finish();
      return await host.queue.run(async () => {
        const where = host.isOpen() ? host.locate(segment) : "gone";
        if (where === "gone") {
          await rewriter.discard();
          return "gone" as const;
        }
        if (rewriter.recordCount === 0 && where === "other") {
          await rewriter.discard();
          host.replace(segment, null);
          await segment.delete();
          await fsyncDir(host.dir);
          host.logger.info({ baseOffset: segment.baseOffset, path: segment.logPath, reason: "compacted" }, "segment deleted");
          return { removed, deleted: true };
        }
        await unlinkIfExists(segment.indexPath);
        await unlinkIfExists(segment.timeIndexPath);
        await fsyncDir(host.dir);
        await fs.promises.rename(rewriter.path, segment.logPath);
        const created = rewriter.toSegment(host.dir, indexIntervalBytes, host.logger);
        host.replace(segment, created);
        try {
          await fsyncDir(host.dir);
        } finally {
          await segment.close();
        }
        await created.saveIndexes(true).catch((err: unknown) => host.logger.error({ err, path: created.logPath }, "saving compacted segment indexes failed"));
        return { removed, deleted: false };
      });
    } finally {
      await rewriter.discard(); // a no-op once swapped in
    }
  }

  /**
   * Calls `visit` for every entry of `segment` in [0, end), frames crc-checked, with the
   * entry's key as a latin1 string (null when empty). `pause`, after each frame, may
   * return a promise to wait for before the scan goes on. Returns null, or why it
   * stopped: "closed" (the log is closing), "gone" (the segment was deleted), or the
   * damage met (the frame is left as it is; reads of it fail).
   */
  private async forEachEntry(
    segment: LogSegment,
    end: number,
    visit: (buf: Buffer, at: number, e: EntryFields, key: string | null, leaderEpoch: number) => void,
    pause: () => Promise<void> | null = () => null,
  ): Promise<string | null> {
    if (!segment.isOpen) return "gone";
    const e: EntryFields = { length: 0, offset: 0, timestampMs: 0, keyStart: 0, keyEnd: 0, valueLength: 0 };
    let position = 0;
    let expected = segment.baseOffset;
    // Set inside the visitor: in an object, so that control flow analysis sees the changes.
    const walk: { stop: string | null; waitFor: Promise<void> | null } = { stop: null, waitFor: null };
    segment.acquire();
    try {
      while (position < end && walk.stop === null) {
        const scan = await scanFrames(segment.fd, position, end, expected, { verify: true }, (h, framePosition, buf, at) => {
          if (!this.host.isOpen()) {
            walk.stop = "closed";
            return false;
          }
          const frameEnd = at + h.frameLength;
          const last = h.baseOffset + h.lastOffsetDelta;
          let p = at + frameHeaderBytes;
          let previous = h.baseOffset - 1;
          for (let i = 0; i < h.recordCount; i++) {
            if (!readEntryFields(buf, p, frameEnd, e) || e.offset <= previous || e.offset > last) {
              walk.stop = `bad entry at position ${framePosition}`;
              return false;
            }
            previous = e.offset;
            visit(buf, p, e, e.keyEnd > e.keyStart ? buf.toString("latin1", e.keyStart, e.keyEnd) : null, h.leaderEpoch);
            p += e.length;
          }
          if (p !== frameEnd || previous !== last) {
            walk.stop = `bad entry at position ${framePosition}`;
            return false;
          }
          position = framePosition + h.frameLength;
          expected = last + 1;
          walk.waitFor = pause();
          return walk.waitFor === null;
        });
        if (walk.stop === null && scan.problem !== null) walk.stop = `${scan.problem} at position ${scan.position}`;
        if (walk.stop === null && !scan.stopped) break;
        if (walk.waitFor !== null) await walk.waitFor;
        walk.waitFor = null;
      }
    } finally {
      segment.release();
    }
    if (walk.stop !== null && walk.stop !== "closed") {
      this.host.logger.error({ path: segment.logPath, problem: walk.stop }, "compaction skipped a damaged segment");
    }
    return walk.stop;
  }
}

/** Index of the segment holding `offset` in `segments` (sorted by baseOffset). */
function segmentIndex(segments: readonly LogSegment[], offset: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (segments[mid].baseOffset <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The smallest maxTimestamp among the sealed segments that hold a newest tombstone
 * (Infinity when none): the next pass is due once that segment's tombstones expire. */
function oldestTombstoneSegmentMs(segments: readonly LogSegment[], latest: KeyMap): number {
  let oldest = Infinity;
  for (const value of latest.values()) {
    if (value >= 0) continue;
    const i = segmentIndex(segments, -value - 1);
    if (i < segments.length - 1 && segments[i].maxTimestamp < oldest) oldest = segments[i].maxTimestamp;
  }
  return oldest;
}
