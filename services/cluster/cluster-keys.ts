/**
 * The etcd key layout of one cluster (CLUSTER.md section 2): everything under
 * `/tributary/<clusterName>/`. One place builds and parses keys, so the layout
 * is written down once (docs/cluster.md shows it to operators).
 */
export class ClusterKeys {
  readonly root: string;

  constructor(clusterName: string) {
    this.root = `/tributary/${clusterName}/`;
  }

  /** Prefix of every live broker's registration. */
  get brokers(): string {
    return `${this.root}brokers/`;
  }

  broker(id: number): string {
    return `${this.brokers}${id}`;
  }

  get controller(): string {
    return `${this.root}controller`;
  }

  /** Prefix of every topic's assignment. */
  get topics(): string {
    return `${this.root}topics/`;
  }

  topic(name: string): string {
    return `${this.topics}${name}`;
  }

  /** Prefix of every partition's state. */
  get partitions(): string {
    return `${this.root}partitions/`;
  }

  /** Prefix of one topic's partition states. */
  topicPartitions(name: string): string {
    return `${this.partitions}${name}/`;
  }

  partition(name: string, partition: number): string {
    return `${this.partitions}${name}/${partition}`;
  }

  /** Prefix of the replica states reported after unclean starts (KIP-966). */
  get replicaStates(): string {
    return `${this.root}replica-states/`;
  }

  topicReplicaStates(name: string): string {
    return `${this.replicaStates}${name}/`;
  }

  replicaState(name: string, partition: number, brokerId: number): string {
    return `${this.replicaStates}${name}/${partition}/${brokerId}`;
  }

  /** Cluster-wide settings (issue 17: tokens, ACLs, quotas). */
  get config(): string {
    return `${this.root}config/`;
  }

  /** Present once a broker with authentication has seeded config/ from its config file. */
  get securityBootstrap(): string {
    return `${this.config}bootstrap`;
  }

  /** Bearer tokens: one key per token, by its SHA-256. */
  get tokens(): string {
    return `${this.config}tokens/`;
  }

  token(sha256: string): string {
    return `${this.tokens}${sha256}`;
  }

  /** Allow rules: one key per rule, by the SHA-256 of its normalized form (aclKey). */
  get acls(): string {
    return `${this.config}acls/`;
  }

  acl(hash: string): string {
    return `${this.acls}${hash}`;
  }

  /** Quotas: one key per principal (URI-encoded; "*" stays "*"). */
  get quotas(): string {
    return `${this.config}quotas/`;
  }

  quota(principal: string): string {
    return `${this.quotas}${encodeURIComponent(principal)}`;
  }

  /** What a key under the root is, or undefined for keys this version does not know. */
  parse(key: string):
    | { kind: "broker"; id: number }
    | { kind: "controller" }
    | { kind: "topic"; name: string }
    | { kind: "partition"; name: string; partition: number }
    | { kind: "replica-state"; name: string; partition: number; brokerId: number }
    | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const rest = key.slice(this.root.length);
    if (rest === "controller") return { kind: "controller" };
    const parts = rest.split("/");
    const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
    switch (parts[0]) {
      case "brokers": {
        const id = int(parts[1]);
        return parts.length === 2 && id !== undefined ? { kind: "broker", id } : undefined;
      }
      case "topics":
        return parts.length === 2 && parts[1] !== "" ? { kind: "topic", name: parts[1] } : undefined;
      case "partitions": {
        const partition = int(parts[2]);
        return parts.length === 3 && partition !== undefined ? { kind: "partition", name: parts[1], partition } : undefined;
      }
      case "replica-states": {
        const partition = int(parts[2]);
        const brokerId = int(parts[3]);
        return parts.length === 4 && partition !== undefined && brokerId !== undefined
          ? { kind: "replica-state", name: parts[1], partition, brokerId }
          : undefined;
      }
      default:
        return undefined;
    }
  }
}
