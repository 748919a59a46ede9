import { Gauge, type Registry } from "prom-client";
import type { TopicManager } from "../topics/index.js";

/**
 * Log start offset, end offset and size per partition, read from the
 * TopicManager at scrape time (nothing on the append path). Internal topics
 * are left out: `__consumer_offsets` has many partitions and its offsets mean
 * nothing to an operator (group metrics cover what is in it).
 */
export function registerLogGauges(registry: Registry, topics: TopicManager): void {
  const labelNames = ["topic", "partition"] as const;
  const registers = [registry];
  // The registry reads metrics in registration order, so the first one's
  // collect fills all three from one pass over the topics.
  const start: Gauge<"topic" | "partition"> = new Gauge({
    name: "tributary_log_start_offset",
    help: "First offset still in the partition's log.",
    labelNames,
    registers,
    collect() {
      start.reset();
      end.reset();
      size.reset();
      for (const topic of topics.list(false)) {
        topic.logs.forEach((log, p) => {
          const labels = { topic: topic.name, partition: String(p) };
          start.set(labels, Number(log.logStartOffset));
          end.set(labels, Number(log.logEndOffset));
          size.set(labels, log.sizeBytes);
        });
      }
    },
  });
  const end = new Gauge({ name: "tributary_log_end_offset", help: "Offset the partition's next record will get.", labelNames, registers });
  const size = new Gauge({ name: "tributary_log_size_bytes", help: "Bytes of the partition's segment files.", labelNames, registers });
}
