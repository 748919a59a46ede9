import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { TributaryError } from "../errors.js";
import type { TopicManager } from "../topics/index.js";
import { assign, partitionKey, type Assignment, type AssignorKind, type PartitionRef } from "./assignors.js";
import { systemClock, type Clock } from "../clock.js";

/** What the coordinator tells a member's stream, synchronously, in order. */
export type MemberEvent =
  | { readonly kind: "assignment"; readonly generation: number; readonly memberId: string; readonly partitions: readonly PartitionRef[] }
  | { readonly kind: "revoked"; readonly generation: number; readonly partitions: readonly PartitionRef[] }
  | { readonly kind: "fenced" };

export interface JoinOptions {
  readonly groupId: string;
  /** Static membership; "" for a dynamic member. */
  readonly instanceId: string;
  readonly clientId: string;
  readonly host: string;
  readonly topics: readonly string[];
  readonly assignor: AssignorKind;
  readonly deliver: (event: MemberEvent) => void;
}

export interface MemberHandle {
  readonly memberId: string;
  /** The stream ended: leave the group (a static member's place is kept for sessionTimeoutMs). */
  leave(): void;
}

export interface CoordinatorConfig {
  /** How long a static member's partitions wait for it to reconnect, ms. */
  readonly sessionTimeoutMs: number;
  /** How long a rebalance waits for members to acknowledge revoked partitions, ms. */
  readonly rebalanceTimeoutMs: number;
}

export type GroupState = "Empty" | "Stable" | "Rebalancing";

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly generation: number;
  readonly assignor: AssignorKind;
  readonly members: ReadonlyArray<{
    memberId: string;
    instanceId: string;
    clientId: string;
    host: string;
    connected: boolean;
    assignment: readonly PartitionRef[];
  }>;
}

interface Member {
  readonly id: string;
  readonly instanceId: string;
  clientId: string;
  host: string;
  topics: readonly string[];
  deliver: (event: MemberEvent) => void;
  /** Identifies the stream currently attached; a fenced stream's leave() is ignored. */
  connection: object;
  connected: boolean;
  /** The generation of the last event this member was sent: its commits must carry it. */
  generation: number;
  expiry?: NodeJS.Timeout;
}

interface Group {
  readonly id: string;
  assignor: AssignorKind;
  generation: number;
  readonly members: Map<string, Member>;
  /** What each member owns now (revoked partitions already removed). */
  owned: Assignment;
  /** The assignment every member gets once revocations are acknowledged. */
  target: Assignment;
  /** Members that were sent `revoked` and have not acknowledged it. */
  readonly pending: Set<string>;
  /** Partitions being revoked per member: it may still commit them. */
  readonly revoking: Map<string, Set<string>>;
  timer?: NodeJS.Timeout;
  /** When the last member left (clock ms); null while it has members. Empty groups
   * expire from here (GroupExpiry). */
  emptySinceMs: number | null;
}

const failed = (reason: string, message: string) => new TributaryError("precondition", reason, message);

/**
 * The consumer-group coordinator (DESIGN.md §4). A member is a live Subscribe
 * stream. Any change of membership or of a subscribed topic's partitions bumps
 * the generation and recomputes the assignment; partitions that move are first
 * revoked from their old owner, which then has `rebalanceTimeoutMs` to commit
 * (a Commit carrying the revocation's generation acknowledges it); only then
 * does every member receive its new assignment, so a partition is never read by
 * two members at once. A member's commits must carry the generation of the last
 * event it was sent, so a member unaffected by a rebalance keeps committing.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly log: Logger;
  private readonly unsubscribe: () => void;

  /**
   * @param generationBase the floor of a group's next generation (cluster mode: the
   *   offsets partition's leader epoch << 16, so generations continue above every
   *   earlier coordinator's; 0 on one broker)
   */
  constructor(
    private readonly topics: TopicManager,
    private readonly config: CoordinatorConfig,
    logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly generationBase: (groupId: string) => number = () => 0,
  ) {
    this.log = logger.child({ component: "groups" });
    this.unsubscribe = topics.onChange((topic) => {
      for (const group of this.groups.values()) {
        if ([...group.members.values()].some((m) => m.topics.includes(topic))) this.rebalance(group, "topic changed");
      }
    });
  }

  join(options: JoinOptions): MemberHandle {
    let group = this.groups.get(options.groupId);
    if (group === undefined) {
      group = {
        id: options.groupId,
        assignor: options.assignor,
        generation: 0,
        members: new Map(),
        owned: new Map(),
        target: new Map(),
        pending: new Set(),
        revoking: new Map(),
        emptySinceMs: null,
      };
      this.groups.set(group.id, group);
    } else if (group.members.size === 0) {
      group.assignor = options.assignor;
    } else if (group.assignor !== options.assignor) {
      throw failed("INCONSISTENT_ASSIGNOR", `group ${group.id} uses the ${group.assignor} assignor`);
    }
    const connection = {};
    if (options.instanceId !== "") {
      const existing = [...group.members.values()].find((m) => m.instanceId === options.instanceId);
      if (existing !== undefined) return this.rejoinStatic(group, existing, options, connection);
    }
    const member: Member = {
      id: `${options.clientId || "member"}-${randomUUID()}`,
      instanceId: options.instanceId,
      clientId: options.clientId,
      host: options.host,
      topics: [...options.topics],
      deliver: options.deliver,
      connection,
      connected: true,
      generation: group.generation,
    };
    group.members.set(member.id, member);
    this.log.info({ groupId: group.id, memberId: member.id }, "member joined");
    this.rebalance(group, "member joined");
    return this.handle(group, member, connection);
  }

  /**
   * Checks that a commit may be stored. A commit with neither member id nor
   * generation is a tool's commit, allowed only while the group has no members.
   */
  checkCommit(groupId: string, memberId: string, generation: number, partitions: readonly PartitionRef[]): void {
    const group = this.groups.get(groupId);
    if (memberId === "" && generation === 0) {
      if (group !== undefined && group.members.size > 0) {
        throw failed("GROUP_NOT_EMPTY", `group ${groupId} has members; commit as one of them`);
      }
      return;
    }
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined || !member.connected) {
      throw failed("UNKNOWN_MEMBER", `member ${memberId} is not in group ${groupId}`);
    }
    if (generation !== member.generation) {
      throw failed("STALE_GENERATION", `generation ${generation} is stale; the member's is ${member.generation}`);
    }
    const owned = new Set((group.owned.get(memberId) ?? []).map(partitionKey));
    const revoking = group.revoking.get(memberId);
    for (const p of partitions) {
      const key = partitionKey(p);
      if (!owned.has(key) && !revoking?.has(key)) {
        throw failed("NOT_PARTITION_OWNER", `member ${memberId} does not own ${p.topic}/${p.partition}`);
      }
    }
  }

  /** A checked commit was stored: it acknowledges the member's pending revocation, if any. */
  committed(groupId: string, memberId: string, generation: number): void {
    this.acknowledgeRevocation(groupId, memberId, generation);
  }

  /**
   * The member's revocation of `generation` needs no commit: its stream ended the
   * revoked partitions having sent nothing beyond the group's commits, or the member
   * never commits (SubscribeRequest.never_commits). Waiting for a Commit that will
   * never come would hold every join for `rebalanceTimeoutMs`.
   */
  acknowledgeRevocation(groupId: string, memberId: string, generation: number): void {
    const group = this.groups.get(groupId);
    if (group === undefined || generation !== group.generation || !group.pending.delete(memberId)) return;
    group.revoking.delete(memberId);
    if (group.pending.size === 0) this.complete(group);
  }

  /** True while the group has members, connected or static ones waiting to reconnect. */
  hasMembers(groupId: string): boolean {
    return (this.groups.get(groupId)?.members.size ?? 0) > 0;
  }

  describe(groupId: string): GroupDescription | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined) return undefined;
    return {
      groupId,
      state: group.members.size === 0 ? "Empty" : group.pending.size > 0 ? "Rebalancing" : "Stable",
      generation: group.generation,
      assignor: group.assignor,
      members: [...group.members.values()].map((m) => ({
        memberId: m.id,
        instanceId: m.instanceId,
        clientId: m.clientId,
        host: m.host,
        connected: m.connected,
        assignment: group.owned.get(m.id) ?? [],
      })),
    };
  }

  /** Group ids with live state (members now or since start). */
  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Forgets an empty group. */
  forget(groupId: string): void {
    if (!this.hasMembers(groupId)) this.groups.delete(groupId);
  }

  /** When the group lost its last member (clock ms); undefined for a group with
   * members or one the coordinator does not know. */
  emptySince(groupId: string): number | undefined {
    const group = this.groups.get(groupId);
    return group === undefined || group.members.size > 0 ? undefined : (group.emptySinceMs ?? undefined);
  }

  /** True when the coordinator holds state for the group (members now or since start). */
  knows(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  /**
   * Cluster mode: forgets the groups `dropped` picks, members and all, without a
   * rebalance (this broker stopped coordinating them; their members' streams end by
   * the coordination's signal, and their leave() then finds nothing).
   */
  drop(dropped: (groupId: string) => boolean): string[] {
    const ids: string[] = [];
    for (const group of [...this.groups.values()]) {
      if (!dropped(group.id)) continue;
      clearTimeout(group.timer);
      for (const m of group.members.values()) {
        clearTimeout(m.expiry);
        m.deliver = () => {};
      }
      // A member's leave() then finds itself gone and starts no rebalance of a dropped group.
      group.members.clear();
      group.pending.clear();
      this.groups.delete(group.id);
      ids.push(group.id);
    }
    if (ids.length > 0) this.log.info({ groups: ids.length }, "groups dropped: no longer their coordinator");
    return ids;
  }

  close(): void {
    this.unsubscribe();
    for (const group of this.groups.values()) {
      clearTimeout(group.timer);
      for (const m of group.members.values()) clearTimeout(m.expiry);
    }
  }

  private rejoinStatic(group: Group, member: Member, options: JoinOptions, connection: object): MemberHandle {
    clearTimeout(member.expiry);
    member.expiry = undefined;
    if (member.connected) {
      // Two streams with one instance id: the newer one wins, as in Kafka (FENCED_INSTANCE_ID).
      member.deliver({ kind: "fenced" });
    }
    member.deliver = options.deliver;
    member.connection = connection;
    member.connected = true;
    member.clientId = options.clientId;
    member.host = options.host;
    this.log.info({ groupId: group.id, memberId: member.id, instanceId: member.instanceId }, "static member rejoined");
    const sameTopics =
      member.topics.length === options.topics.length && member.topics.every((t) => options.topics.includes(t));
    if (!sameTopics) {
      member.topics = [...options.topics];
      this.rebalance(group, "member changed topics");
    } else if (group.pending.size === 0) {
      // Its partitions waited for it: hand them back, no rebalance, no new generation.
      this.send(member, {
        kind: "assignment",
        generation: group.generation,
        memberId: member.id,
        partitions: group.owned.get(member.id) ?? [],
      });
    }
    return this.handle(group, member, connection);
  }

  private handle(group: Group, member: Member, connection: object): MemberHandle {
    return {
      memberId: member.id,
      leave: () => {
        if (member.connection !== connection || !member.connected) return;
        member.connected = false;
        member.deliver = () => {};
        const wasPending = group.pending.delete(member.id);
        group.revoking.delete(member.id);
        if (member.instanceId !== "") {
          // A static member keeps its place for the session timeout.
          this.log.info({ groupId: group.id, memberId: member.id }, "static member disconnected");
          member.expiry = setTimeout(() => this.remove(group, member, "static member expired"), this.config.sessionTimeoutMs);
          member.expiry.unref();
          if (wasPending && group.pending.size === 0) this.complete(group);
          return;
        }
        this.remove(group, member, "member left");
      },
    };
  }

  private remove(group: Group, member: Member, why: string): void {
    if (group.members.get(member.id) !== member) return;
    group.members.delete(member.id);
    group.owned.delete(member.id);
    group.target.delete(member.id);
    group.pending.delete(member.id);
    group.revoking.delete(member.id);
    this.log.info({ groupId: group.id, memberId: member.id }, why);
    this.rebalance(group, why);
  }

  private rebalance(group: Group, why: string): void {
    group.generation = Math.max(group.generation + 1, this.generationBase(group.id) + 1);
    group.emptySinceMs = group.members.size === 0 ? this.clock.nowMs() : null;
    if (group.members.size === 0) {
      clearTimeout(group.timer);
      group.timer = undefined;
      group.owned = new Map();
      group.target = new Map();
      group.pending.clear();
      group.revoking.clear();
      this.log.info({ groupId: group.id, generation: group.generation }, "group empty");
      return;
    }
    const counts = new Map<string, number>();
    for (const member of group.members.values()) {
      for (const topic of member.topics) {
        try {
          counts.set(topic, this.topics.get(topic).logs.length);
        } catch {
          // deleted topic: its partitions leave the assignment
        }
      }
    }
    const members = [...group.members.values()].map((m) => ({ memberId: m.id, topics: m.topics }));
    group.target = assign(group.assignor, members, counts, group.owned);
    for (const member of group.members.values()) {
      const keep = new Set((group.target.get(member.id) ?? []).map(partitionKey));
      // A deleted topic's partitions just go: nobody else gets them and they
      // cannot be committed, so there is no revocation to wait for.
      const owned = (group.owned.get(member.id) ?? []).filter((p) => counts.has(p.topic));
      group.owned.set(member.id, owned);
      const revoked = owned.filter((p) => !keep.has(partitionKey(p)));
      if (revoked.length === 0) continue;
      group.owned.set(member.id, owned.filter((p) => keep.has(partitionKey(p))));
      const revoking = group.revoking.get(member.id) ?? new Set<string>();
      for (const p of revoked) revoking.add(partitionKey(p));
      group.revoking.set(member.id, revoking);
      if (member.connected) {
        group.pending.add(member.id);
        this.send(member, { kind: "revoked", generation: group.generation, partitions: revoked });
      }
    }
    this.log.info(
      { groupId: group.id, generation: group.generation, members: group.members.size, waiting: group.pending.size, why },
      "rebalancing",
    );
    if (group.pending.size === 0) {
      this.complete(group);
    } else if (group.timer === undefined) {
      // The deadline runs from the first unacknowledged revocation, so constant
      // churn cannot postpone an assignment forever.
      group.timer = setTimeout(() => {
        this.log.warn({ groupId: group.id, waiting: [...group.pending] }, "rebalance timed out waiting for revocations");
        this.complete(group);
      }, this.config.rebalanceTimeoutMs);
      group.timer.unref();
    }
  }

  private complete(group: Group): void {
    clearTimeout(group.timer);
    group.timer = undefined;
    group.pending.clear();
    group.revoking.clear();
    group.owned = new Map(group.target);
    for (const member of group.members.values()) {
      if (!member.connected) continue;
      this.send(member, {
        kind: "assignment",
        generation: group.generation,
        memberId: member.id,
        partitions: group.owned.get(member.id) ?? [],
      });
    }
    this.log.info({ groupId: group.id, generation: group.generation }, "group stable");
  }

  private send(member: Member, event: MemberEvent): void {
    if (event.kind !== "fenced") member.generation = event.generation;
    member.deliver(event);
  }
}
