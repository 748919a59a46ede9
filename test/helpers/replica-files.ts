import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { defaultLogConfig, Log } from "../../services/log/index.js";
import { partitionDirName } from "../../services/topics/topic-name.js";
import { decode } from "./log-records.js";

/**
 * One replica's records as its own files hold them, read after its broker stopped: how
 * the cluster tests compare replicas without trusting the broker that serves them
 * (CLUSTER.md section 6, "every replica holds the same records at the same offsets").
 */
export interface ReplicaFiles {
  readonly records: Array<{ offset: bigint; value: string }>;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly highWatermark: bigint;
  /** The partition directory's `topic-id` (cluster mode), or undefined when there is none. */
  readonly topicId: string | undefined;
}

/** Reads one partition of one broker's data dir, up to its log end (`upTo` "logEnd") or its high watermark. */
export async function readReplicaFiles(
  dataDir: string,
  topic: string,
  partition: number,
  upTo: "logEnd" | "highWatermark" = "logEnd",
): Promise<ReplicaFiles> {
  const dir = join(dataDir, partitionDirName(topic, partition));
  const topicId = await readFile(join(dir, "topic-id"), "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
  const log = await Log.open({
    dir,
    config: defaultLogConfig,
    logger: pino({ level: "silent" }),
    clock: { nowMs: () => Date.now() },
    replicated: true,
  });
  try {
    const end = upTo === "logEnd" ? log.logEndOffset : log.highWatermark;
    const records: Array<{ offset: bigint; value: string }> = [];
    let offset = log.logStartOffset;
    while (offset < end) {
      const fetched = await log.read(offset, 1 << 20);
      for (const r of decode(fetched.chunks)) if (BigInt(r.offset) < end) records.push({ offset: BigInt(r.offset), value: r.value ?? "" });
      if (fetched.nextOffset <= offset) break;
      offset = fetched.nextOffset;
    }
    return {
      records,
      logStartOffset: BigInt(log.logStartOffset),
      logEndOffset: BigInt(log.logEndOffset),
      highWatermark: BigInt(log.highWatermark),
      topicId,
    };
  } finally {
    await log.close();
  }
}
