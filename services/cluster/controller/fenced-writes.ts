/**
 * The controller's writes of partition states: etcd transactions fenced twice
 * (CLUSTER.md section 2). Each compares `createRevision(controller) == epoch`,
 * so a deposed controller's writes fail however late they arrive, and each
 * partition key's mod revision against the one its decision was made from, so a
 * state changed meanwhile (the leader's ISR change, another controller) is never
 * overwritten: that batch fails whole, and the controller re-reads and decides
 * again. Batches keep compares plus operations within etcd's 128 per txn.
 */
import { toJsonString } from "@bufbuild/protobuf";
import { PartitionStateSchema } from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { ClusterKeys } from "../cluster-keys.js";
import type { Compare, EtcdClient, TxnOp } from "../etcd/etcd-client.js";
import type { PartitionDecision } from "./decide.js";
import { inBatches, maxTxnOps } from "./txn-batches.js";

/** Partitions per txn: one controller compare, then a compare and a put each. */
export const partitionsPerTxn = Math.floor((maxTxnOps - 1) / 2);

export interface FencedWriteResult {
  /** The decisions written. */
  readonly applied: PartitionDecision[];
  /** Some batch failed its compares (deposed, or a state changed): re-read. */
  readonly conflicted: boolean;
}

/**
 * Writes `decisions` in batches as controller `epoch`. Before each batch,
 * `stillController()` is asked (the synchronous self-fencing check): once it
 * says no, nothing more is sent.
 */
export async function writePartitionStates(
  client: EtcdClient,
  keys: ClusterKeys,
  epoch: bigint,
  decisions: readonly PartitionDecision[],
  stillController: () => boolean = () => true,
): Promise<FencedWriteResult> {
  const applied: PartitionDecision[] = [];
  let conflicted = false;
  for (const batch of inBatches(decisions, partitionsPerTxn)) {
    if (!stillController()) return { applied, conflicted: true };
    const compare: Compare[] = [{ key: keys.controller, target: "create", value: epoch }];
    const success: TxnOp[] = [];
    for (const d of batch) {
      const key = keys.partition(d.topic, d.partition);
      compare.push({ key, target: "mod", value: d.modRevision });
      success.push({ put: { key, value: toJsonString(PartitionStateSchema, d.state) } });
    }
    const result = await client.txn({ compare, success });
    if (result.succeeded) applied.push(...batch);
    else conflicted = true;
  }
  return { applied, conflicted };
}
