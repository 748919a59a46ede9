/**
 * What the request handlers ask of cluster mode before they write or read a
 * partition (CLUSTER.md sections 4 and 5). On a single broker there is no gate and
 * every partition is local and led here. The checks are synchronous on purpose: a
 * broker paused (SIGSTOP) and resumed must not acknowledge or serve anything before
 * it has looked at its lease again (LeaseKeeper.isFresh).
 */
export interface PartitionGate {
  /**
   * Before appending: this broker leads the partition in a live incarnation, and for
   * ACKS_ALL the ISR has at least min_insync_replicas members.
   * Returns the leader epoch the append happens in, for `acknowledge`.
   * @throws NotLeaderError NOT_LEADER / PARTITION_OFFLINE; UnavailableError
   *   NOT_ENOUGH_REPLICAS, FENCED_LEADER_EPOCH
   */
  checkWrite(topic: string, partition: number, acksAll: boolean): number;
  /**
   * After the append is durable here: resolves when the acknowledgement may be sent
   * (ACKS_ALL: the high watermark passed `lastOffset` in `leaderEpoch`, the epoch
   * checkWrite returned), checking leadership again at that moment; rejects when
   * leadership was lost meanwhile (the client retries; an idempotent retry is answered
   * as a duplicate if the records survived).
   */
  acknowledge(
    topic: string,
    partition: number,
    lastOffset: bigint,
    acksAll: boolean,
    leaderEpoch: number,
    signal: AbortSignal | undefined,
  ): Promise<void>;
  /**
   * Before serving a Fetch or Subscribe of the partition: led here.
   * @throws NotLeaderError
   */
  checkRead(topic: string, partition: number): void;
  /** Whether this broker leads the partition now (keyless records go round-robin over
   * the partitions led here). */
  leads(topic: string, partition: number): boolean;
}
