/**
 * The leader epochs of one partition log and the offset each began at (Kafka's
 * LeaderEpochFileCache, KIP-101/KIP-320; /work/shared/CLUSTER.md section 4).
 *
 * On a single broker a new epoch starts on every open after an unclean shutdown
 * (Log.open): the log may have lost a suffix, and the offsets after it are then given
 * to new records. An epoch names one history of the log, so a reader that knows the
 * epoch of the last record it consumed can ask `endOffsetFor` where that history ends
 * here, and learn that its position is past a truncation instead of reading different
 * records under the same offsets.
 *
 * File `leader-epoch-checkpoint` (Kafka's format), replaced atomically and fsynced
 * (temporary file, fsync, rename, directory fsync) before any record of a new epoch is
 * appended:
 *
 *   0                 version
 *   2                 number of entries
 *   0 0               epoch, start offset (one line each, epochs increasing)
 *   1 1200
 *
 * Invariants: epochs strictly increase and start offsets never decrease; no entry
 * starts at or past the log end offset except the current epoch's, which may start
 * exactly there (no record yet). An epoch number is never reused, even when its
 * records were all truncated away: the next one is above the largest ever written.
 * Entries below the log start offset are kept (harmless: no read reaches them).
 *
 * When the file is missing or unreadable it is rebuilt from the frames' leaderEpoch
 * header field (`rebuildFromSegments`). Compaction keeps each record's frame epoch
 * (segment-rewriter.ts; logs compacted before issue 16 have 0 there, so a rebuild keeps
 * only increases).
 */
import assert from "node:assert";
import path from "node:path";
import { frameHeaderBytes, readFrameHeader } from "./batch-frame.js";
import { pread, readFileIfExists, writeFileAtomic } from "./file-io.js";
import { scanFrames } from "./frame-scanner.js";
import type { LogSegment } from "./log-segment.js";

export const leaderEpochCheckpointFile = "leader-epoch-checkpoint";

/** One epoch and the offset of its first record. */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** The answer to `endOffsetFor`: the largest epoch at or below the one asked for, and
 * the offset where it ended (the next epoch's start, or the log end for the current
 * epoch); both -1 when the log knows no such epoch. */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

const undefinedEnd: EpochEndOffset = { epoch: -1, endOffset: -1 };

export class LeaderEpochCache {
  private constructor(
    private readonly file: string,
    private entries: EpochEntry[],
  ) {}

  /** An empty cache for the log in `dir` (nothing read or written). */
  static empty(dir: string): LeaderEpochCache {
    return new LeaderEpochCache(path.join(dir, leaderEpochCheckpointFile), []);
  }

  /** Reads the checkpoint of the log in `dir`; null when missing or malformed. */
  static async load(dir: string): Promise<LeaderEpochCache | null> {
    const file = path.join(dir, leaderEpochCheckpointFile);
    const bytes = await readFileIfExists(file);
    if (bytes === null) return null;
    const entries = parseCheckpoint(bytes.toString("utf8"));
    return entries === null ? null : new LeaderEpochCache(file, entries);
  }

  /** Rebuilds the entries from the frames of `segments` (in offset order). Reads each
   * segment's first frame header, and scans the headers only of the segments in which
   * the epoch changes (and the last one). */
  static async rebuildFromSegments(dir: string, segments: readonly LogSegment[]): Promise<LeaderEpochCache> {
    const cache = LeaderEpochCache.empty(dir);
    const firsts: number[] = [];
    for (const s of segments) firsts.push(s.size >= frameHeaderBytes ? readFrameHeader(await pread(s.fd, 0, frameHeaderBytes), 0).leaderEpoch : -1);
    const note = (epoch: number, offset: number): void => {
      if (epoch > cache.latestEpoch) cache.entries.push({ epoch, startOffset: offset });
    };
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      if (firsts[i] < 0) continue;
      note(firsts[i], s.baseOffset);
      if (i + 1 < segments.length && firsts[i + 1] === firsts[i]) continue; // epochs never decrease inside
      await scanFrames(s.fd, 0, s.visibleSize, s.baseOffset, { verify: false }, (h) => {
        note(h.leaderEpoch, h.baseOffset);
        return true;
      });
    }
    return cache;
  }

  /** The current (largest) epoch, or -1 when there is none. */
  get latestEpoch(): number {
    return this.entries.length === 0 ? -1 : this.entries[this.entries.length - 1].epoch;
  }

  /** A copy of the entries, oldest first. */
  toArray(): EpochEntry[] {
    return this.entries.slice();
  }

  /**
   * Starts `epoch` at `startOffset` (the log end offset). Entries starting at or after
   * it hold no record and go. Not persisted until `save`.
   */
  assign(epoch: number, startOffset: number): void {
    this.truncateFromEnd(startOffset);
    assert(epoch > this.latestEpoch, "leader epochs increase");
    assert(this.entries.length === 0 || startOffset >= this.entries[this.entries.length - 1].startOffset, "epoch start offsets never decrease");
    this.entries.push({ epoch, startOffset });
  }

  /** Drops the entries of epochs that begin at or past `endOffset` (a truncated log). */
  truncateFromEnd(endOffset: number): void {
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].startOffset >= endOffset) this.entries.pop();
  }

  /** The epoch of the record at `offset`: the entry starting at or below it, else -1. */
  epochForOffset(offset: number): number {
    let found = -1;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].startOffset <= offset) {
        found = this.entries[i].epoch;
        break;
      }
    }
    return found;
  }

  /**
   * Where the history of `epoch` ends in this log (Kafka's endOffsetFor): for the
   * current epoch, `logEndOffset`; otherwise the largest epoch at or below `epoch` and
   * the start offset of the first epoch above it. An epoch below every entry answers
   * itself and the first entry's start; an epoch above the current one, or a negative
   * one, answers -1/-1 (unknown here).
   */
  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset {
    if (epoch < 0 || this.entries.length === 0) return undefinedEnd;
    if (epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > epoch);
    if (higher < 0) return undefinedEnd;
    const floor = higher === 0 ? epoch : this.entries[higher - 1].epoch;
    return { epoch: floor, endOffset: this.entries[higher].startOffset };
  }

  /** Replaces the checkpoint file atomically and durably. */
  async save(): Promise<void> {
    const lines = ["0", String(this.entries.length), ...this.entries.map((e) => `${e.epoch} ${e.startOffset}`)];
    await writeFileAtomic(this.file, Buffer.from(`${lines.join("\n")}\n`), true);
  }
}

function parseCheckpoint(text: string): EpochEntry[] | null {
  const lines = text.split("\n").filter((l) => l !== "");
  if (lines.length < 2 || lines[0] !== "0" || !/^\d+$/.test(lines[1]) || Number(lines[1]) !== lines.length - 2) return null;
  const entries: EpochEntry[] = [];
  for (const line of lines.slice(2)) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m === null) return null;
    const epoch = Number(m[1]);
    const startOffset = Number(m[2]);
    if (!Number.isSafeInteger(epoch) || epoch > 0x7fffffff || !Number.isSafeInteger(startOffset)) return null;
    const last = entries[entries.length - 1];
    if (last !== undefined && (epoch <= last.epoch || startOffset < last.startOffset)) return null;
    entries.push({ epoch, startOffset });
  }
  return entries;
}
