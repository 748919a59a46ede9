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
  /**
   * Aborted, with a NotLeaderError as its reason, when this broker stops leading the
   * partition (another broker was elected, or this one fenced itself): a Subscribe
   * stream of the partition then ends, and its client reconnects to the leader rather
   * than waiting on a replica that may no longer be fed. Already aborted when this
   * broker does not lead it now.
   */
  leadershipEnded(topic: string, partition: number): AbortSignal;
}
