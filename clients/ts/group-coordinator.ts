import { status } from "@grpc/grpc-js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { defaultMetadataTimeoutMs, isMetadataRefused, type ClusterMetadata } from "./cluster-metadata.js";
import { errorLeader, errorReason } from "./grpc-client.js";

/** Reasons with which a broker says "not here, or not yet": find the coordinator again. */
const coordinatorMovedReasons = new Set(["NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE"]);

/**
 * Where a consumer group's coordinator is, as Kafka's consumer keeps it: the leader of
 * the group's `__consumer_offsets` partition, asked of any broker with
 * `AdminService.FindCoordinator` and kept until a group call at it fails. The member's
 * Subscribe stream and its commits go there (docs/cluster.md, "Consumer groups").
 *
 * - A refusal naming the coordinator (`NOT_COORDINATOR` with `tributary-leader`) is
 *   followed at once; any other failure (`COORDINATOR_LOAD_IN_PROGRESS`,
 *   `COORDINATOR_NOT_AVAILABLE`, `UNAVAILABLE`, a lost connection) makes the next call
 *   ask again. The caller backs off between attempts.
 * - A single broker names its advertised address; it is reached where it answered
 *   instead, as ClusterMetadata does (a broker behind a proxy, port forward or NAT).
 * - A broker that will not answer FindCoordinator (an older broker: UNIMPLEMENTED; a
 *   principal without `describe` on the group: PERMISSION_DENIED) serves the group
 *   itself, as before clients routed.
 */
export class GroupCoordinator {
  private known: string | undefined;
  private finding: Promise<string> | undefined;
  /** A broker that refused the group (NOT_COORDINATOR) without naming another: its own
   * FindCoordinator answer may be stale (a broker cut off from etcd still names itself),
   * so other brokers are asked first, for one round. */
  private refusedBy: string | undefined;

  constructor(
    private readonly metadata: ClusterMetadata,
    private readonly groupId: string,
    private readonly timeoutMs = defaultMetadataTimeoutMs,
  ) {}

  /** The coordinator's "host:port": the one last found, else asked of any broker now. */
  address(): Promise<string> {
    if (this.known !== undefined) return Promise.resolve(this.known);
    this.finding ??= this.find().finally(() => (this.finding = undefined));
    return this.finding;
  }

  /**
   * A group call to `address` failed with `err`: the next call finds the coordinator
   * again, or goes to the broker a NOT_COORDINATOR refusal named. A failure at an
   * address already given up is ignored (another call moved on first).
   */
  failed(address: string, err: unknown): void {
    if (address !== this.known) return;
    const refused = errorReason(err) === "NOT_COORDINATOR";
    const named = refused ? errorLeader(err) : undefined;
    this.known = named !== address ? named : undefined;
    if (refused && this.known === undefined) this.refusedBy = address;
  }

  /** The group's stream was accepted: the coordinator it reached is one. */
  joined(address: string): void {
    if (this.refusedBy === address) this.refusedBy = undefined;
  }

  /** Whether `err` says the coordinator moved, is loading, or is not elected yet. */
  static moved(err: unknown): boolean {
    return coordinatorMovedReasons.has(errorReason(err) ?? "");
  }

  private async find(): Promise<string> {
    let answered = "";
    const refusedBy = this.refusedBy;
    this.refusedBy = undefined; // one round: if every broker names it, it is the coordinator again
    try {
      await this.metadata.cluster();
      const single = this.metadata.brokerCount <= 1;
      const answer = await this.metadata.any(async (address) => {
        answered = address;
        const answer = await this.metadata.client(AdminService, address).findCoordinator({ groupId: this.groupId }, { deadline: this.timeoutMs });
        if (!single && refusedBy !== undefined && answer.address === refusedBy) throw staleAnswer(address, refusedBy);
        return answer;
      });
      this.known = single ? answered : answer.address;
    } catch (err) {
      if (!isMetadataRefused(err)) throw err;
      this.known = await this.metadata.reachable();
    }
    return this.known;
  }
}

/** A FindCoordinator answer naming the broker that just refused the group: ask the next broker. */
function staleAnswer(address: string, refusedBy: string): Error {
  return Object.assign(new Error(`${status.UNAVAILABLE} UNAVAILABLE: ${address} names ${refusedBy}, which refused the group`), {
    code: status.UNAVAILABLE,
    details: `${address} names ${refusedBy}, which refused the group`,
  });
}
