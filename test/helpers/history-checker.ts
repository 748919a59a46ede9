/**
 * A history checker for cluster tests, after Jepsen's Kafka workload checker
 * (jepsen.tests.kafka, used on Kafka, Redpanda, Bufstream): a test records every produce
 * attempt with its outcome and every record each consumer read, in poll order, then a
 * final read of every partition from offset 0 once the faults have healed; `check()`
 * counts the anomalies CLUSTER.md section 6 names:
 *
 * - lost-write: a value that was acknowledged, or read by a consumer (both say it was
 *   committed), missing from its partition's final read. Partitions without a final
 *   read are not checked for it and are listed in `uncheckedPartitions`.
 * - duplicate: one value at two offsets (across acks, consumer reads and final reads).
 * - inconsistent-offsets: one offset with two values (across acks, consumers, final reads).
 * - nonmonotonic-poll: a consumer's next read of a partition at or below its previous
 *   one, with no reset it reported (`reset`) in between.
 * - poll-skip: a consumer's next read of a partition jumping over offsets that exist
 *   (in the final read; without one, in any observation), with no reset in between.
 *
 * Values are strings and must be unique per produce attempt (a counter); one checker
 * covers one topic (partitions are numbers). Offsets are bigints, as the client gives.
 */
export type ProduceOutcome = { type: "acked"; offset: bigint } | { type: "failed" } | { type: "unknown" };

/** One produce attempt in flight: settle it once; still pending at `check()` counts as unknown. */
export interface ProduceAttempt {
  acked(offset: bigint | number): void;
  /** The broker said it was not written (a definite error, not a timeout). */
  failed(): void;
  /** No answer (timeout, connection lost): it may or may not be written. */
  unknown(): void;
}

export interface PartitionRecord {
  readonly offset: bigint;
  readonly value: string;
}

export interface Anomalies<T> {
  readonly count: number;
  /** The first few, for the failure message. */
  readonly examples: readonly T[];
}

export interface Position {
  readonly partition: number;
  readonly offset: bigint;
}

export interface HistoryReport {
  readonly produces: { attempted: number; acked: number; failed: number; unknown: number; unknownPresent: number; failedPresent: number };
  readonly reads: number;
  readonly finalRecords: number;
  readonly lostWrite: Anomalies<{ partition: number; value: string; ackedOffset?: bigint; readBy?: string }>;
  readonly duplicate: Anomalies<{ value: string; positions: Position[] }>;
  readonly inconsistentOffsets: Anomalies<{ partition: number; offset: bigint; values: string[] }>;
  readonly nonmonotonicPoll: Anomalies<{ consumer: string; partition: number; previousOffset: bigint; offset: bigint }>;
  readonly pollSkip: Anomalies<{ consumer: string; partition: number; previousOffset: bigint; offset: bigint; skipped: bigint[] }>;
  /** Partitions with acknowledged or read values but no final read: lost-write not checked there. */
  readonly uncheckedPartitions: readonly number[];
  /** No anomaly of any kind. */
  readonly valid: boolean;
}

const maxExamples = 5;

interface Attempt {
  readonly value: string;
  readonly partition: number;
  outcome: ProduceOutcome | undefined;
}

type PollEvent = { read: PartitionRecord } | { reset: true };

/** Where a value or an offset was seen, for the examples. */
interface Observation {
  readonly partition: number;
  readonly offset: bigint;
  readonly value: string;
  readonly source: string;
}

export class HistoryChecker {
  private readonly attempts: Attempt[] = [];
  /** consumer -> partition -> reads and resets in poll order. */
  private readonly polls = new Map<string, Map<number, PollEvent[]>>();
  private readonly finals = new Map<number, PartitionRecord[]>();
  private readCount = 0;

  /** A produce of `value` to `partition` begins; settle the returned attempt with its outcome. */
  produce(value: string, partition: number): ProduceAttempt {
    const attempt: Attempt = { value, partition, outcome: undefined };
    this.attempts.push(attempt);
    const settle = (outcome: ProduceOutcome) => {
      if (attempt.outcome) throw new Error(`produce of ${value} settled twice`);
      attempt.outcome = outcome;
    };
    return {
      acked: (offset) => settle({ type: "acked", offset: BigInt(offset) }),
      failed: () => settle({ type: "failed" }),
      unknown: () => settle({ type: "unknown" }),
    };
  }

  /** A consumer read `value` at `offset` of `partition`; call in the order it polled them. */
  read(consumer: string, partition: number, offset: bigint | number, value: string): void {
    this.events(consumer, partition).push({ read: { offset: BigInt(offset), value } });
    this.readCount++;
  }

  /** The consumer moved its position itself (seek, reset to earliest, reassignment): its next read may be anywhere. */
  reset(consumer: string, partition: number): void {
    this.events(consumer, partition).push({ reset: true });
  }

  /** Everything `partition` holds, read from offset 0 after the faults healed. */
  finalRead(partition: number, records: ReadonlyArray<{ offset: bigint | number; value: string }>): void {
    this.finals.set(
      partition,
      records.map((r) => ({ offset: BigInt(r.offset), value: r.value })),
    );
  }

  check(): HistoryReport {
    const observations = this.observations();
    const lostWrite = this.lostWrites();
    const duplicate = collect(
      groupBy(observations, (o) => o.value),
      (value, seen) => {
        const positions = uniqueBy(seen, (o) => `${o.partition}:${o.offset}`).map((o) => ({ partition: o.partition, offset: o.offset }));
        return positions.length > 1 ? { value, positions } : undefined;
      },
    );
    const inconsistentOffsets = collect(
      groupBy(observations, (o) => `${o.partition}:${o.offset}`),
      (_key, seen) => {
        const values = [...new Set(seen.map((o) => o.value))];
        return values.length > 1 ? { partition: seen[0].partition, offset: seen[0].offset, values } : undefined;
      },
    );
    const { nonmonotonicPoll, pollSkip } = this.pollAnomalies(observations);
    const present = new Set<string>();
    for (const [partition, records] of this.finals) for (const r of records) present.add(`${partition}:${r.value}`);
    const settled = this.attempts.map((a) => ({ ...a, type: a.outcome?.type ?? "unknown" }));
    const presentOf = (type: string) =>
      settled.filter((a) => a.type === type && present.has(`${a.partition}:${a.value}`)).length;
    const produces = {
      attempted: settled.length,
      acked: settled.filter((a) => a.type === "acked").length,
      failed: settled.filter((a) => a.type === "failed").length,
      unknown: settled.filter((a) => a.type === "unknown").length,
      unknownPresent: presentOf("unknown"),
      failedPresent: presentOf("failed"),
    };
    const partitionsWithValues = new Set(observations.filter((o) => o.source !== "final").map((o) => o.partition));
    const uncheckedPartitions = [...partitionsWithValues].filter((p) => !this.finals.has(p)).sort((a, b) => a - b);
    const counts = [lostWrite, duplicate, inconsistentOffsets, nonmonotonicPoll, pollSkip].map((a) => a.count);
    return {
      produces,
      reads: this.readCount,
      finalRecords: [...this.finals.values()].reduce((n, records) => n + records.length, 0),
      lostWrite,
      duplicate,
      inconsistentOffsets,
      nonmonotonicPoll,
      pollSkip,
      uncheckedPartitions,
      valid: counts.every((n) => n === 0),
    };
  }

  /** A Jepsen-like table of the report, for a failure message or a chaos run's output. */
  formatTable(report: HistoryReport = this.check()): string {
    const rows: Array<[string, number, string]> = [
      ["lost-write", report.lostWrite.count, report.lostWrite.examples.map((e) => `${e.value}@p${e.partition}${e.ackedOffset !== undefined ? ` (acked at ${e.ackedOffset})` : ` (read by ${e.readBy})`}`).join(", ")],
      ["duplicate", report.duplicate.count, report.duplicate.examples.map((e) => `${e.value} at ${e.positions.map((p) => `p${p.partition}@${p.offset}`).join(" and ")}`).join(", ")],
      ["inconsistent-offsets", report.inconsistentOffsets.count, report.inconsistentOffsets.examples.map((e) => `p${e.partition}@${e.offset}: ${e.values.join(" vs ")}`).join(", ")],
      ["nonmonotonic-poll", report.nonmonotonicPoll.count, report.nonmonotonicPoll.examples.map((e) => `${e.consumer} p${e.partition}: ${e.previousOffset} -> ${e.offset}`).join(", ")],
      ["poll-skip", report.pollSkip.count, report.pollSkip.examples.map((e) => `${e.consumer} p${e.partition}: ${e.previousOffset} -> ${e.offset} skips ${e.skipped.join(",")}`).join(", ")],
    ];
    const p = report.produces;
    const lines = [
      `${"anomaly".padEnd(22)}${"count".padStart(6)}  examples`,
      ...rows.map(([name, count, examples]) => `${name.padEnd(22)}${String(count).padStart(6)}  ${examples}`.trimEnd()),
      `produces: ${p.attempted} attempted, ${p.acked} acked, ${p.failed} failed (${p.failedPresent} present), ${p.unknown} unknown (${p.unknownPresent} present)`,
      `reads: ${report.reads}; final records: ${report.finalRecords}` +
        (report.uncheckedPartitions.length > 0 ? `; lost-write not checked on partitions ${report.uncheckedPartitions.join(",")} (no final read)` : ""),
      `valid: ${report.valid}`,
    ];
    return lines.join("\n");
  }

  private events(consumer: string, partition: number): PollEvent[] {
    let byPartition = this.polls.get(consumer);
    if (!byPartition) this.polls.set(consumer, (byPartition = new Map()));
    let events = byPartition.get(partition);
    if (!events) byPartition.set(partition, (events = []));
    return events;
  }

  /** Every (partition, offset, value) seen: acks, consumer reads, final reads. */
  private observations(): Observation[] {
    const all: Observation[] = [];
    for (const a of this.attempts) {
      if (a.outcome?.type === "acked") all.push({ partition: a.partition, offset: a.outcome.offset, value: a.value, source: "ack" });
    }
    for (const [consumer, byPartition] of this.polls) {
      for (const [partition, events] of byPartition) {
        for (const e of events) if ("read" in e) all.push({ partition, offset: e.read.offset, value: e.read.value, source: consumer });
      }
    }
    for (const [partition, records] of this.finals) {
      for (const r of records) all.push({ partition, offset: r.offset, value: r.value, source: "final" });
    }
    return all;
  }

  private lostWrites(): HistoryReport["lostWrite"] {
    const committed = new Map<string, { partition: number; value: string; ackedOffset?: bigint; readBy?: string }>();
    for (const a of this.attempts) {
      if (a.outcome?.type === "acked") committed.set(`${a.partition}:${a.value}`, { partition: a.partition, value: a.value, ackedOffset: a.outcome.offset });
    }
    for (const [consumer, byPartition] of this.polls) {
      for (const [partition, events] of byPartition) {
        for (const e of events) {
          const key = `${partition}:${"read" in e ? e.read.value : ""}`;
          if ("read" in e && !committed.has(key)) committed.set(key, { partition, value: e.read.value, readBy: consumer });
        }
      }
    }
    const present = new Set<string>();
    for (const [partition, records] of this.finals) for (const r of records) present.add(`${partition}:${r.value}`);
    const lost = [...committed.entries()]
      .filter(([key, c]) => this.finals.has(c.partition) && !present.has(key))
      .map(([, c]) => c);
    return { count: lost.length, examples: lost.slice(0, maxExamples) };
  }

  private pollAnomalies(observations: Observation[]): Pick<HistoryReport, "nonmonotonicPoll" | "pollSkip"> {
    const existing = new Map<number, Set<bigint>>();
    for (const o of observations) {
      // With a final read, an offset exists if the partition holds it; without, if anyone saw it.
      if (this.finals.has(o.partition) && o.source !== "final") continue;
      let offsets = existing.get(o.partition);
      if (!offsets) existing.set(o.partition, (offsets = new Set()));
      offsets.add(o.offset);
    }
    const nonmonotonic: HistoryReport["nonmonotonicPoll"]["examples"][number][] = [];
    const skips: HistoryReport["pollSkip"]["examples"][number][] = [];
    for (const [consumer, byPartition] of this.polls) {
      for (const [partition, events] of byPartition) {
        let previous: bigint | undefined;
        for (const e of events) {
          if ("reset" in e) {
            previous = undefined;
            continue;
          }
          const offset = e.read.offset;
          if (previous !== undefined && offset <= previous) {
            nonmonotonic.push({ consumer, partition, previousOffset: previous, offset });
          } else if (previous !== undefined && offset > previous + 1n) {
            const skipped = [...(existing.get(partition) ?? [])].filter((o) => o > previous! && o < offset).sort((a, b) => (a < b ? -1 : 1));
            if (skipped.length > 0) skips.push({ consumer, partition, previousOffset: previous, offset, skipped: skipped.slice(0, 10) });
          }
          previous = offset;
        }
      }
    }
    return {
      nonmonotonicPoll: { count: nonmonotonic.length, examples: nonmonotonic.slice(0, maxExamples) },
      pollSkip: { count: skips.length, examples: skips.slice(0, maxExamples) },
    };
  }
}

export interface ReplicaComparison {
  /** Every replica holds the same value at every offset below `upTo`. */
  readonly identical: boolean;
  /** Offsets below `upTo` where replicas differ or one lacks the record. */
  readonly count: number;
  readonly examples: ReadonlyArray<{ offset: bigint; values: ReadonlyMap<number, string | undefined> }>;
}

/**
 * Checks the replication promise (CLUSTER.md section 1): below the high watermark
 * `upTo` (exclusive), every replica holds the same records at the same offsets.
 * `replicaReads` maps a broker id to what its local log holds (offset, value; a value
 * may be a hex encoding of the stored frame, to compare bytes).
 */
export function compareReplicas(
  replicaReads: ReadonlyMap<number, ReadonlyArray<{ offset: bigint | number; value: string }>>,
  upTo: bigint | number,
): ReplicaComparison {
  const limit = BigInt(upTo);
  const byReplica = new Map<number, Map<bigint, string>>();
  const offsets = new Set<bigint>();
  for (const [brokerId, records] of replicaReads) {
    const held = new Map<bigint, string>();
    for (const r of records) {
      const offset = BigInt(r.offset);
      if (offset >= limit) continue;
      held.set(offset, r.value);
      offsets.add(offset);
    }
    byReplica.set(brokerId, held);
  }
  const differing: Array<{ offset: bigint; values: Map<number, string | undefined> }> = [];
  for (const offset of [...offsets].sort((a, b) => (a < b ? -1 : 1))) {
    const values = new Map<number, string | undefined>();
    for (const [brokerId, held] of byReplica) values.set(brokerId, held.get(offset));
    if (new Set(values.values()).size > 1) differing.push({ offset, values });
  }
  return { identical: differing.length === 0, count: differing.length, examples: differing.slice(0, maxExamples) };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

function collect<T, R>(groups: Map<string, T[]>, found: (key: string, group: T[]) => R | undefined): Anomalies<R> {
  const all: R[] = [];
  for (const [key, group] of groups) {
    const anomaly = found(key, group);
    if (anomaly !== undefined) all.push(anomaly);
  }
  return { count: all.length, examples: all.slice(0, maxExamples) };
}
