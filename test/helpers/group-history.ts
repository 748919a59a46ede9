import { HistoryChecker, type HistoryReport } from "./history-checker.js";

/**
 * The history of a consumer group under faults, for the group failover tests: what
 * the producer sent (through the HistoryChecker), every record each member was given
 * (with the membership it was given under) and every committed offset seen at the
 * coordinator, in the order the test saw them. `check()` states the group's promises
 * (README, "Delivery semantics"; docs/cluster.md, "A consumer across failovers"):
 *
 * - unread: a record the partition holds (its final read), acknowledged or not, that
 *   no member was given. At least once means none.
 * - commit-regression: a committed offset seen lower than one seen before for the
 *   same partition.
 * - unexplained duplicate: a record given again after it was first given, unless
 *   (a) the membership (consumer and member id) it was first given to ended later:
 *   that consumer was seen under another member id afterwards (its own death: a
 *   killed process, or a stream the coordinator's failover ended; a rebalance keeps
 *   the member id and causes none), and (b) it was not committed: its offset is at or
 *   above every commit of its partition seen before it was given again.
 *   A membership reading one offset twice is always unexplained.
 *
 * The HistoryChecker's own anomalies (lost-write, nonmonotonic-poll and poll-skip per
 * membership and generation, duplicate values, inconsistent offsets) come with them.
 */
export interface Delivery {
  readonly seq: number;
  readonly consumer: string;
  readonly memberId: string;
  readonly generation: number;
  readonly partition: number;
  readonly offset: bigint;
  readonly value: string;
}

export interface GroupReport {
  readonly history: HistoryReport;
  readonly deliveries: number;
  /** Deliveries of a record given before (redeliveries), explained or not. */
  readonly redeliveries: number;
  /** Memberships seen (consumer/memberId), the first ones included. */
  readonly memberships: number;
  /** Committed offsets seen (one per partition per poll). */
  readonly commitsSeen: number;
  readonly unread: { count: number; examples: Array<{ partition: number; offset: bigint; value: string }> };
  readonly commitRegressions: { count: number; examples: Array<{ partition: number; from: bigint; to: bigint }> };
  readonly unexplainedDuplicates: { count: number; examples: Array<{ first: Delivery; again: Delivery; committedBefore: bigint }> };
  readonly valid: boolean;
}

const maxExamples = 5;

export class GroupHistory {
  readonly checker = new HistoryChecker();
  private seq = 0;
  private readonly deliveries: Delivery[] = [];
  /** consumer -> [seq, memberId] each time its member id was seen to change. */
  private readonly memberships = new Map<string, Array<[number, string]>>();
  private readonly commits: Array<{ seq: number; partition: number; offset: bigint }> = [];
  /** consumer/memberId/partition -> generation of its last delivery there. */
  private readonly lastGeneration = new Map<string, number>();
  private finals = new Map<number, ReadonlyArray<{ offset: bigint; value: string }>>();

  /** A member was given a record (call in the order the application got them). */
  delivered(consumer: string, memberId: string, generation: number, partition: number, offset: bigint, value: string): void {
    this.member(consumer, memberId);
    const membership = `${consumer}#${memberId}`;
    const key = `${membership}/${partition}`;
    // A partition taken away and given back within one membership may resume elsewhere.
    if (this.lastGeneration.has(key) && this.lastGeneration.get(key) !== generation) this.checker.reset(membership, partition);
    this.lastGeneration.set(key, generation);
    this.checker.read(membership, partition, offset, value);
    this.deliveries.push({ seq: this.seq++, consumer, memberId, generation, partition, offset, value });
  }

  /** The consumer is now member `memberId` (seen on a delivery, or looked at directly). */
  member(consumer: string, memberId: string): void {
    if (memberId === "") return;
    const seen = this.memberships.get(consumer) ?? [];
    if (seen.at(-1)?.[1] !== memberId) seen.push([this.seq++, memberId]);
    this.memberships.set(consumer, seen);
  }

  /** The coordinator answered FetchCommitted: `offset` is committed for `partition`. */
  committed(partition: number, offset: bigint): void {
    this.commits.push({ seq: this.seq++, partition, offset });
  }

  /** Everything `partition` holds, read from its start once the faults are over. */
  finalRead(partition: number, records: ReadonlyArray<{ offset: bigint; value: string }>): void {
    this.finals.set(partition, records);
    this.checker.finalRead(partition, records);
  }

  /** Records of the final reads no member was given yet. */
  unread(): Array<{ partition: number; offset: bigint; value: string }> {
    const given = new Set(this.deliveries.map((d) => `${d.partition}:${d.offset}`));
    return [...this.finals].flatMap(([partition, records]) =>
      records.filter((r) => !given.has(`${partition}:${r.offset}`)).map((r) => ({ partition, ...r })),
    );
  }

  check(): GroupReport {
    const unread = this.unread();
    const regressions: GroupReport["commitRegressions"]["examples"] = [];
    const highest = new Map<number, bigint>();
    for (const c of this.commits) {
      const before = highest.get(c.partition);
      if (before !== undefined && c.offset < before) regressions.push({ partition: c.partition, from: before, to: c.offset });
      else highest.set(c.partition, c.offset);
    }
    const first = new Map<string, Delivery>();
    const unexplained: GroupReport["unexplainedDuplicates"]["examples"] = [];
    let redeliveries = 0;
    for (const d of this.deliveries) {
      const key = `${d.partition}:${d.offset}`;
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, d);
        continue;
      }
      redeliveries++;
      const committedBefore = this.highestCommit(d.partition, d.seq);
      const ended = this.membershipEnded(earlier.consumer, earlier.memberId, earlier.seq);
      const sameMembership = earlier.consumer === d.consumer && earlier.memberId === d.memberId;
      if (sameMembership || !ended || d.offset < committedBefore) unexplained.push({ first: earlier, again: d, committedBefore });
    }
    const history = this.checker.check();
    return {
      history,
      deliveries: this.deliveries.length,
      redeliveries,
      memberships: [...this.memberships.values()].reduce((n, m) => n + m.length, 0),
      commitsSeen: this.commits.length,
      unread: { count: unread.length, examples: unread.slice(0, maxExamples) },
      commitRegressions: { count: regressions.length, examples: regressions.slice(0, maxExamples) },
      unexplainedDuplicates: { count: unexplained.length, examples: unexplained.slice(0, maxExamples) },
      valid: history.valid && unread.length === 0 && regressions.length === 0 && unexplained.length === 0,
    };
  }

  /** The highest commit of `partition` seen before event `seq`; -1 when none. */
  private highestCommit(partition: number, seq: number): bigint {
    let highest = -1n;
    for (const c of this.commits) if (c.seq < seq && c.partition === partition && c.offset > highest) highest = c.offset;
    return highest;
  }

  /** Whether `consumer` was seen as another member after event `seq` while member `memberId`. */
  private membershipEnded(consumer: string, memberId: string, seq: number): boolean {
    return (this.memberships.get(consumer) ?? []).some(([at, id]) => at > seq && id !== memberId);
  }
}

/** A short table of the report, for a failure message or the test's output. */
export function formatGroupReport(report: GroupReport): string {
  const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
  return [
    `deliveries: ${report.deliveries}, redeliveries: ${report.redeliveries}, memberships: ${report.memberships}, commits seen: ${report.commitsSeen}`,
    `unread: ${report.unread.count} ${show(report.unread.examples)}`,
    `commit-regression: ${report.commitRegressions.count} ${show(report.commitRegressions.examples)}`,
    `unexplained duplicate: ${report.unexplainedDuplicates.count} ${show(report.unexplainedDuplicates.examples)}`,
    "history checker:",
    `${new HistoryChecker().formatTable(report.history)}`,
  ].join("\n");
}
