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
    this.known = errorReason(err) === "NOT_COORDINATOR" ? errorLeader(err) : undefined;
  }

  /** Whether `err` says the coordinator moved, is loading, or is not elected yet. */
  static moved(err: unknown): boolean {
    return coordinatorMovedReasons.has(errorReason(err) ?? "");
  }

  private async find(): Promise<string> {
    let answered = "";
    try {
      await this.metadata.cluster();
      const answer = await this.metadata.any((address) => {
        answered = address;
        return this.metadata.client(AdminService, address).findCoordinator({ groupId: this.groupId }, { deadline: this.timeoutMs });
      });
      this.known = this.metadata.brokerCount <= 1 ? answered : answer.address;
    } catch (err) {
      if (!isMetadataRefused(err)) throw err;
      this.known = await this.metadata.reachable();
    }
    return this.known;
  }
}
