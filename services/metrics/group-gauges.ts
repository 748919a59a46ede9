import { Gauge, type Registry } from "prom-client";
import type { OffsetStore } from "../groups/index.js";
import type { TopicManager } from "../topics/index.js";

/**
 * Per group and partition: the committed offset and the lag (high watermark
 * minus committed offset, as DescribeGroup reports it), computed at scrape
 * time from the offset store and the logs. Only partitions with a commit
 * appear; a commit whose topic or partition is gone is left out.
 */
export function registerGroupGauges(registry: Registry, topics: TopicManager, offsets: OffsetStore): void {
  const labelNames = ["group", "topic", "partition"] as const;
  const registers = [registry];
  const committed: Gauge<"group" | "topic" | "partition"> = new Gauge({
    name: "tributary_group_committed_offset",
    help: "The group's committed offset for the partition.",
    labelNames,
    registers,
    collect() {
      committed.reset();
      lag.reset();
      for (const group of offsets.groups()) {
        for (const c of offsets.list(group)) {
          let log;
          try {
            log = topics.partition(c.topic, c.partition);
          } catch {
            continue;
          }
          const labels = { group, topic: c.topic, partition: String(c.partition) };
          committed.set(labels, Number(c.offset));
          lag.set(labels, Number(log.highWatermark - c.offset));
        }
      }
    },
  });
  const lag = new Gauge({
    name: "tributary_group_lag",
    help: "Records the group has yet to commit: high watermark minus committed offset.",
    labelNames,
    registers,
  });
}
