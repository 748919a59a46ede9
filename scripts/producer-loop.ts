import type { ServiceClient } from "../clients/ts/index.js";
import type { ProduceService } from "../gen/ts/tributary/v1/produce_pb.js";

const encoder = new TextEncoder();

export interface ProducerLoopOptions {
  readonly produce: ServiceClient<typeof ProduceService.method>;
  readonly topic: string;
  readonly partitions: number;
  readonly random: () => number;
  /** Makes every value unique across a run: `c<cycle>/<topic>/p<producer>`. */
  readonly label: string;
  /** Records get keys `k<i>` (compacted topics need them). */
  readonly keyed?: boolean;
  readonly stopped: () => boolean;
  /** An acknowledged batch: its values are at `baseOffset`, `baseOffset + 1`, … of `partition`. */
  readonly onAck: (partition: number, baseOffset: bigint, values: readonly string[]) => void;
}

/**
 * One producer of the torture and power-loss runs (scripts/torture.ts,
 * scripts/power-loss.ts): batches of 1–40 records of varied sizes to drawn
 * partitions, one at a time, until `stopped()` or until a request fails — a
 * request cut by the kill was never acknowledged, so nothing is recorded for it.
 */
export async function producerLoop(options: ProducerLoopOptions): Promise<void> {
  const { produce, topic, partitions, random, label } = options;
  const batchSizes = Array.from({ length: 64 }, () => 1 + Math.floor(random() * 40));
  const partitionsDrawn = Array.from({ length: 64 }, () => Math.floor(random() * partitions));
  for (let batch = 0; !options.stopped(); batch++) {
    const size = batchSizes[batch % batchSizes.length];
    const partition = partitionsDrawn[batch % partitionsDrawn.length];
    const values = Array.from({ length: size }, (_, i) => `${label}/b${batch}/r${i}/${"x".repeat((batch * 7 + i) % 97)}`);
    const records = values.map((v, i) => ({ ...(options.keyed ? { key: encoder.encode(`k${i}`) } : {}), value: encoder.encode(v) }));
    let answer;
    try {
      answer = await produce.produce({ topic, partition, records });
    } catch {
      return;
    }
    const result = answer.results[0];
    if (answer.results.length !== 1 || result.partition !== partition) {
      throw new Error(`unexpected produce answer ${JSON.stringify(answer.results.map((r) => r.partition))}`);
    }
    options.onAck(partition, result.baseOffset, values);
  }
}
