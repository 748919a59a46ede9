import { Counter, type Registry } from "prom-client";
import { isInternalTopic } from "../topics/index.js";

/** Running totals of one partition's traffic: plain numbers, read at scrape time. */
export interface PartitionTraffic {
  recordsIn: number;
  bytesIn: number;
  recordsOut: number;
  bytesOut: number;
}

/**
 * Records and bytes in (Produce) and out (Fetch, Subscribe) per topic and
 * partition. Handlers get a partition's totals once (`partition()`) and add
 * to them once per batch. prom-client's labelled children hash and validate
 * their labels on every `inc`, so the counters are not touched on the hot
 * path: their `collect()` copies the totals in when Prometheus scrapes.
 * Internal topics get a detached object whose totals are never exported, so
 * the offsets topic's many partitions add no series.
 */
export class TrafficMetrics {
  /** topic -> partition -> totals */
  private readonly totals = new Map<string, PartitionTraffic[]>();

  constructor(registry: Registry) {
    const labelNames = ["topic", "partition"] as const;
    const registers = [registry];
    const totals = this.totals;
    // The registry reads metrics in registration order: the first one's
    // collect fills all four.
    const recordsIn: Counter<"topic" | "partition"> = new Counter({
      name: "tributary_records_in_total",
      help: "Records appended by Produce.",
      labelNames,
      registers,
      collect() {
        for (const counter of [recordsIn, bytesIn, recordsOut, bytesOut]) counter.reset();
        for (const [topic, partitions] of totals) {
          partitions.forEach((t, p) => {
            const labels = { topic, partition: String(p) };
            recordsIn.inc(labels, t.recordsIn);
            bytesIn.inc(labels, t.bytesIn);
            recordsOut.inc(labels, t.recordsOut);
            bytesOut.inc(labels, t.bytesOut);
          });
        }
      },
    });
    const bytesIn = new Counter({ name: "tributary_bytes_in_total", help: "Record bytes (as encoded by the producer) appended by Produce.", labelNames, registers });
    const recordsOut = new Counter({ name: "tributary_records_out_total", help: "Records sent by Fetch and Subscribe.", labelNames, registers });
    const bytesOut = new Counter({ name: "tributary_bytes_out_total", help: "Stored record bytes sent by Fetch and Subscribe.", labelNames, registers });
  }

  /** The totals of one partition, to add to (created at 0 on first use). */
  partition(topic: string, partition: number): PartitionTraffic {
    let partitions = this.totals.get(topic);
    if (partitions === undefined) {
      partitions = [];
      if (!isInternalTopic(topic)) this.totals.set(topic, partitions);
    }
    let traffic = partitions[partition];
    if (traffic === undefined) {
      traffic = { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 };
      partitions[partition] = traffic;
    }
    return traffic;
  }

  /** Adds a produced batch (once per partition batch). */
  countIn(topic: string, partition: number, records: number, bytes: number): void {
    const traffic = this.partition(topic, partition);
    traffic.recordsIn += records;
    traffic.bytesIn += bytes;
  }

  /** Adds a fetched or streamed batch. */
  countOut(topic: string, partition: number, records: number, bytes: number): void {
    const traffic = this.partition(topic, partition);
    traffic.recordsOut += records;
    traffic.bytesOut += bytes;
  }

  /** Drops a deleted topic's series, so a topic created again under the name starts at 0. */
  forgetTopic(topic: string): void {
    this.totals.delete(topic);
  }
}
