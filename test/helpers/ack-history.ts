/**
 * The history checker of the power-loss test (scripts/power-loss.ts): what one
 * partition acknowledged, checked against what it holds after each power cut.
 *
 * The promises it checks (docs/storage.md, "What each fsync policy loses"):
 * - every policy: an acknowledged record that survived is at its acknowledged offset
 *   with its value (`mismatched` counts the others), and the log has no gap (`skipped`
 *   counts offsets missing inside it, acknowledged or not: the reader sees the gap);
 * - `interval` may lose a suffix of acknowledged records, never a hole: no lost
 *   acknowledged record lies below a surviving one (`holes`);
 * - `always` loses no acknowledged record (`lost`).
 * Offsets are numbers (a test log stays far below 2^53).
 */
export interface PartitionFigures {
  /** Acknowledged appends (records), over the whole run. */
  acked: number;
  /** Acknowledged records gone after a power cut. */
  lost: number;
  /** Lost acknowledged records below a surviving acknowledged record. */
  holes: number;
  /** Acknowledged offsets holding another value (after a cut, or acknowledged twice without one). */
  mismatched: number;
  /** Offsets missing inside the log (between its start and its end), each counted once. */
  skipped: number;
  /** Offsets of lost acknowledged records that a later record was acknowledged at. */
  reused: number;
  /** The longest time between a lost record's ack and the cut, in ms. */
  maxLostAgeMs: number;
}

export function emptyFigures(): PartitionFigures {
  return { acked: 0, lost: 0, holes: 0, mismatched: 0, skipped: 0, reused: 0, maxLostAgeMs: 0 };
}

export function addFigures(into: PartitionFigures, more: PartitionFigures): PartitionFigures {
  into.acked += more.acked;
  into.lost += more.lost;
  into.holes += more.holes;
  into.mismatched += more.mismatched;
  into.skipped += more.skipped;
  into.reused += more.reused;
  into.maxLostAgeMs = Math.max(into.maxLostAgeMs, more.maxLostAgeMs);
  return into;
}

/** What a partition holds: offset -> value, read from its start to its end. */
export interface StoredPartition {
  readonly records: ReadonlyMap<number, string>;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export class AckHistory {
  readonly figures = emptyFigures();
  /** Acknowledged and not lost: offset -> value and when it was acknowledged. */
  private readonly live = new Map<number, { value: string; atMs: number }>();
  /** Offsets whose acknowledged record was lost and not yet given to another. */
  private readonly lostOffsets = new Set<number>();
  /** Offsets already counted as missing inside the log (a gap stays: count it once). */
  private readonly skippedOffsets = new Set<number>();

  /** An acknowledged record. */
  acked(offset: number, value: string, atMs: number): void {
    this.figures.acked++;
    if (this.lostOffsets.delete(offset)) this.figures.reused++;
    else if (this.live.has(offset) && this.live.get(offset)!.value !== value) this.figures.mismatched++;
    this.live.set(offset, { value, atMs });
  }

  /** After a power cut (at `cutAtMs`) and a restart, before anything new is acknowledged:
   * checks what survived and forgets what was lost (its offsets may be reused). */
  afterCut(stored: StoredPartition, cutAtMs: number): PartitionFigures {
    const found = emptyFigures();
    let highestSurvivor = -1;
    const lost: Array<[number, number]> = [];
    for (const [offset, { value, atMs }] of this.live) {
      const now = stored.records.get(offset);
      if (now === value) {
        highestSurvivor = Math.max(highestSurvivor, offset);
      } else if (now === undefined) {
        lost.push([offset, atMs]);
      } else {
        found.mismatched++; // another record took its offset: not a loss we can bound
        this.live.delete(offset);
      }
    }
    for (const [offset, atMs] of lost) {
      this.live.delete(offset);
      this.lostOffsets.add(offset);
      found.lost++;
      if (offset < highestSurvivor) found.holes++;
      found.maxLostAgeMs = Math.max(found.maxLostAgeMs, cutAtMs - atMs);
    }
    for (let offset = stored.logStartOffset; offset < stored.logEndOffset; offset++) {
      if (!stored.records.has(offset) && !this.skippedOffsets.has(offset)) {
        this.skippedOffsets.add(offset);
        found.skipped++;
      }
    }
    addFigures(this.figures, found);
    return found;
  }
}
