import { createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { GroupMember, type Delivery } from "./group-member.js";

/** A delivery with when it arrived (ms since the epoch). */
export interface TimedDelivery extends Delivery {
  readonly atMs: number;
}

export interface CoordinatorFollowingMemberOptions {
  /** The brokers to ask FindCoordinator, read again on every attempt (restarted brokers get new ports). */
  readonly bootstrap: () => readonly string[];
  readonly groupId: string;
  readonly topic: string;
  /** Commit after this many records. Default 10. */
  readonly commitEvery?: number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A consumer-group member in a cluster, for tests until the TypeScript Consumer follows
 * the coordinator by itself (issue 17, branch `consumer`): it asks any broker
 * FindCoordinator, joins at the coordinator with a GroupMember (test/helpers/group-member.ts:
 * commits every few records, acknowledges revocations), and when the stream ends
 * (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, the broker stopped) finds the
 * coordinator again and rejoins, with a short backoff, as clients/python/group_member.py does.
 */
export class CoordinatorFollowingMember {
  readonly deliveries: TimedDelivery[] = [];
  /** Each membership's end, for failure messages. */
  readonly events: string[] = [];
  readonly done: Promise<void>;
  private member: GroupMember | undefined;
  private stopped = false;

  constructor(private readonly options: CoordinatorFollowingMemberOptions) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const address = await this.findCoordinator();
        if (this.stopped) break;
        const member = new GroupMember(address, this.options.groupId, [this.options.topic], {
          commitEvery: this.options.commitEvery ?? 10,
          earliest: true,
          onDelivery: (d) => this.deliveries.push({ ...d, atMs: Date.now() }),
        });
        this.member = member;
        await member.done.then(
          () => this.events.push(`${new Date().toISOString()} stream to ${address} ended`),
          (err: unknown) => this.events.push(`${new Date().toISOString()} stream to ${address} failed: ${(err as Error).message}`),
        );
        if (member.assignmentEvents > 0) attempt = 0;
        if (this.member === member) await member.cancel();
      } catch (err) {
        this.events.push(`${new Date().toISOString()} no coordinator: ${(err as Error).message}`);
      }
      // Short: the figure to measure is the brokers' (a coordinator moving, loading), not a client's backoff.
      if (!this.stopped) await delay(Math.min(250, 50 * 2 ** Math.min(attempt, 3)));
    }
  }

  private async findCoordinator(): Promise<string> {
    let last: unknown;
    for (const address of this.options.bootstrap()) {
      const admin = createClient(AdminService, address);
      try {
        return (await admin.findCoordinator({ groupId: this.options.groupId }, { deadline: 2000 })).address;
      } catch (err) {
        last = err;
      } finally {
        admin.close();
      }
    }
    throw last instanceof Error ? last : new Error("no broker answered FindCoordinator");
  }

  /** Commits what it processed and leaves. */
  async close(): Promise<void> {
    this.stopped = true;
    const member = this.member;
    this.member = undefined;
    await member?.close().catch(() => undefined);
    await this.done;
  }
}
