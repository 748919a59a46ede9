import { createClient, errorReason, type ServerStream } from "../../clients/ts/index.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService, type SubscribeResponse } from "../../gen/ts/tributary/v1/fetch_pb.js";

export interface Delivery {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly value: string;
}

export interface GroupMemberOptions {
  readonly instanceId?: string;
  readonly clientId?: string;
  /** Commit after this many processed records (0: only on revocation and close). */
  readonly commitEvery?: number;
  readonly earliest?: boolean;
  /** Called after each delivery and each successful commit (the child-process member prints them). */
  readonly onDelivery?: (delivery: Delivery) => void;
  readonly onCommitted?: (offsets: ReadonlyArray<{ topic: string; partition: number; offset: bigint }>) => void;
}

const key = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * A consumer-group member over a real Subscribe stream on its own channel,
 * behaving as a careful consumer does: it records each delivery, commits the
 * offsets it processed (every `commitEvery` records), and acknowledges a
 * revocation by committing the revoked partitions with the revocation's
 * generation.
 */
export class GroupMember {
  readonly deliveries: Delivery[] = [];
  readonly events: string[] = [];
  memberId = "";
  generation = 0;
  assignment: Array<{ topic: string; partition: number }> = [];
  assignmentEvents = 0;
  /** Partition -> the next offset committed successfully. */
  readonly committed = new Map<string, bigint>();
  readonly done: Promise<void>;
  private readonly next = new Map<string, bigint>();
  private readonly fetch;
  private readonly commitClient;
  private readonly stream: ServerStream<SubscribeResponse>;
  private sinceCommit = 0;
  private onEvent: (() => void) | undefined;
  private closing = false;

  constructor(
    address: string,
    readonly groupId: string,
    topics: string[],
    private readonly options: GroupMemberOptions = {},
  ) {
    this.fetch = createClient(FetchService, address);
    this.commitClient = createClient(CommitService, address);
    this.stream = this.fetch.subscribe({
      groupId,
      topics,
      instanceId: options.instanceId ?? "",
      clientId: options.clientId ?? "test",
      startPosition: options.earliest ? { case: "earliest", value: true } : { case: undefined },
    });
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  owns(topic: string, partition: number): boolean {
    return this.assignment.some((p) => p.topic === topic && p.partition === partition);
  }

  /** Commits what was processed in the partitions it owns. */
  async commit(partitions = this.assignment, generation = this.generation): Promise<boolean> {
    const offsets = partitions
      .filter((p) => this.next.has(key(p.topic, p.partition)))
      .map((p) => ({ topic: p.topic, partition: p.partition, offset: this.next.get(key(p.topic, p.partition))! }));
    try {
      await this.commitClient.commit({ groupId: this.groupId, memberId: this.memberId, generation, offsets });
    } catch (err) {
      this.events.push(`commit-failed ${generation} ${errorReason(err)}`);
      return false; // stale after a rebalance: at-least-once, the records come again
    }
    for (const o of offsets) this.committed.set(key(o.topic, o.partition), o.offset);
    this.events.push(`committed ${generation} ${offsets.map((o) => `${o.partition}:${o.offset}`).join(" ")}`);
    this.options.onCommitted?.(offsets);
    this.sinceCommit = 0;
    return true;
  }

  /**
   * Commits and leaves, as a consumer's close() does. A commit refused as
   * stale means an event of a newer generation is still on its way in the
   * stream: apply it (the run loop does) and commit again.
   */
  async close(): Promise<void> {
    // From here no record is processed, so the final commit covers all that was.
    this.closing = true;
    for (let attempt = 0; attempt < 50 && !(await this.commit()); attempt++) {
      await Promise.race([new Promise<void>((resolve) => (this.onEvent = resolve)), this.done]);
    }
    this.stream.cancel();
    await this.done.catch(() => undefined);
    this.fetch.close();
    this.commitClient.close();
  }

  /** Leaves without committing. */
  async cancel(): Promise<void> {
    this.stream.cancel();
    await this.done.catch(() => undefined);
    this.fetch.close();
    this.commitClient.close();
  }

  /** Handles events in order, as a consumer's poll loop does; wakes close() after each. */
  private async run(): Promise<void> {
    for await (const message of this.stream) {
      const event = message.event;
      switch (event.case) {
        case "assignment":
          this.memberId = event.value.memberId;
          this.generation = event.value.generation;
          this.assignment = event.value.partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
          this.assignmentEvents++;
          this.events.push(`assignment ${event.value.generation}`);
          break;
        case "revoked": {
          // Commit what was processed in the revoked partitions: that acknowledges the revocation.
          const revoked = event.value.partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
          this.events.push(`revoked ${event.value.generation}`);
          this.generation = event.value.generation;
          await this.commit(revoked, event.value.generation);
          this.assignment = this.assignment.filter((a) => !revoked.some((r) => r.topic === a.topic && r.partition === a.partition));
          for (const r of revoked) this.next.delete(key(r.topic, r.partition));
          break;
        }
        case "records": {
          if (this.closing) break;
          const { topic, partition } = event.value;
          for (const r of event.value.records) {
            const delivery = { topic, partition, offset: r.offset, value: new TextDecoder().decode(r.value) };
            this.deliveries.push(delivery);
            this.options.onDelivery?.(delivery);
            this.next.set(key(topic, partition), r.offset + 1n);
            this.sinceCommit++;
          }
          const rs = event.value.records;
          if (rs.length > 0) this.events.push(`rec ${partition}:${rs[0].offset}-${rs[rs.length - 1].offset}`);
          if (this.options.commitEvery && this.sinceCommit >= this.options.commitEvery) await this.commit();
          break;
        }
        case "offsetReset":
          this.events.push(`reset ${event.value.topic}/${event.value.partition}`);
          break;
      }
      const wake = this.onEvent;
      this.onEvent = undefined;
      wake?.();
    }
  }
}
