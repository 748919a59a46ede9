import { create, toJsonString } from "@bufbuild/protobuf";
import { readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { IsrMemberSchema, PartitionStateSchema, ReplicaStateSchema, TopicAssignmentSchema } from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { TopicConfigSchema, type TopicConfig } from "../../gen/ts/tributary/v1/admin_pb.js";
import { overridesFromMessage } from "../admin/index.js";
import type { Clock } from "../clock.js";
import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, MetadataStaleError, NotLeaderError, PartitionOfflineError, UnavailableError, UnknownTopicError } from "../errors.js";
import { writeFileAtomic } from "../log/index.js";
import { isInternalTopic, type Topic, type TopicConfigOverrides, type TopicManager } from "../topics/index.js";
import type { ClusterAdmin, ClusterBroker, PartitionReplication } from "./cluster-admin.js";
import { ClusterKeys } from "./cluster-keys.js";
import { partitionKey, type ClusterSnapshot } from "./cluster-state.js";
import { BrokerRegistration } from "./broker-registration.js";
import { Controller } from "./controller/controller.js";
import { TopicWrites } from "./controller/topic-writes.js";
import { EtcdClient } from "./etcd/index.js";
import { controlledShutdownFeature, featureLevel, finalizedFeatures, supportedFeatures } from "./features.js";
import { MetadataCache } from "./metadata-cache.js";
import { handOff, leftUnderMinIsr, waitForHandOff, type ControlledShutdownOutcome } from "./controlled-shutdown.js";
import type { PartitionGate } from "./partition-gate.js";
import { ReplicaManager, type PartitionView } from "./replication/index.js";
import { interBrokerClient, plaintextInterBroker, type InterBrokerCredentials } from "./inter-broker.js";
import { SecurityStore } from "./security-store.js";
import type { RpcClient } from "../rpc/index.js";

/** For acknowledgements without a caller's signal. */
const neverAborted = new AbortController().signal;

/** A broker-level marker: present when the last shutdown was clean (every partition
 * flushed). Read and removed at start; the registration's clean_start carries it. */
const cleanShutdownMarker = "cluster-clean-shutdown";
/** How long an admin change waits to be applied on this broker before answering. */
const applyTimeoutMs = 10_000;
/** Pause before applying the metadata again after a failure. */
const syncRetryMs = 1000;
/** Pause between registration attempts after a self-fence. */
const reregisterBackoffMs = 250;

export interface ClusterNodeOptions {
  readonly config: BrokerConfig;
  readonly topics: TopicManager;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly version: string;
  /** Credentials of this broker's clients to other brokers (services/cluster/inter-broker.ts). */
  readonly interBroker?: InterBrokerCredentials;
}

/**
 * A broker's part in a cluster (CLUSTER.md): its registration in etcd, its view of
 * the cluster's metadata, the controller it may become, and its replicas. It turns
 * metadata into local state, level-triggered: on every change it makes the local
 * topics match etcd's (created, grown, deleted, re-created under a new topic id) and
 * tells the replica manager which partitions it leads or follows.
 *
 * It is also the PartitionGate the handlers ask (partition-gate.ts): every check is
 * synchronous and starts with the lease (BrokerRegistration.isFresh).
 */
export class ClusterNode implements PartitionGate {
  readonly keys: ClusterKeys;
  private readonly etcd: EtcdClient;
  private readonly log: Logger;
  private readonly brokerId: number;
  private registration: BrokerRegistration | undefined;
  private metadata: MetadataCache | undefined;
  private controller: Controller | undefined;
  private readonly replicas: ReplicaManager;
  private security: SecurityStore | undefined;
  private writes: TopicWrites;
  private address = "";
  private cleanStart = false;
  private closed = false;
  /** The lease is revoked (close). */
  private left = false;
  /** Set by controlledShutdown: every registration from now on says `shutting_down`. */
  private shuttingDown = false;
  private syncRunning = false;
  private syncAgain = false;
  private syncIdle: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private replicaStatesReported = false;
  private syncRetry: NodeJS.Timeout | undefined;
  /** Per partition led here and read by a stream: aborted when the leadership ends. */
  private readonly leaderships = new Map<string, AbortController>();
  private readonly syncListeners = new Set<() => void>();

  constructor(private readonly options: ClusterNodeOptions) {
    const { config, logger } = options;
    this.keys = new ClusterKeys(config.clusterName);
    this.log = logger.child({ component: "cluster" });
    this.brokerId = config.brokerId;
    this.etcd = new EtcdClient({ endpoints: [...config.etcdEndpoints], logger: this.log });
    this.writes = new TopicWrites({ client: this.etcd, keys: this.keys, logger: this.log, clock: options.clock });
    const { topics } = options;
    this.replicas = new ReplicaManager({
      brokerId: this.brokerId,
      brokerEpoch: () => this.registration?.brokerEpoch ?? -1n,
      isFresh: () => this.registration?.isFresh() ?? false,
      log: (topic, partition) => topics.find(topic)?.logs[partition],
      brokerAddress: (id) => this.metadata?.current.brokers.get(id)?.registration.address,
      liveBrokerEpoch: (id) => this.metadata?.current.brokers.get(id)?.brokerEpoch,
      isShuttingDown: (id) => this.metadata?.current.brokers.get(id)?.registration.shuttingDown === true,
      alterPartitionState: (view, isr) => this.alterIsr(view, isr),
      interBrokerClient: (address) => this.interBrokerClient(address),
      config: { replicaLagTimeMaxMs: config.replicaLagTimeMaxMs },
      logger: this.log,
      clock: options.clock,
    });
  }

  /** A client to another broker, as the inter-broker principal (over TLS when this broker
   * has TLS): every inter-broker call is made through it. */
  interBrokerClient(address: string): RpcClient {
    return interBrokerClient(address, this.options.interBroker ?? plaintextInterBroker);
  }

  /**
   * Reads the cluster's tokens, ACLs and quotas (etcd's config/) and keeps watching them;
   * called before the port opens, so that no call is judged by the config file's rules.
   * ClusterNode.close stops the watch.
   */
  async startSecurity(): Promise<SecurityStore> {
    this.security ??= await SecurityStore.start(this.etcd, this.keys, this.log);
    return this.security;
  }

  /** The ReplicaService implementation server.ts binds before the port opens. */
  get replicaService(): ReplicaManager["service"] {
    return this.replicas.service;
  }

  /**
   * Joins the cluster once the gRPC port is bound (`address` is what others dial):
   * registers a new incarnation, reads the metadata, brings local topics in line and
   * starts the controller campaign.
   */
  async start(address: string): Promise<void> {
    const { config, topics } = this.options;
    this.address = address;
    this.cleanStart = await readFile(join(config.dataDir, "meta", cleanShutdownMarker)).then(
      () => true,
      () => false,
    );
    await unlink(join(config.dataDir, "meta", cleanShutdownMarker)).catch(() => undefined);
    this.metadata = await MetadataCache.start(this.etcd, this.keys, this.log);
    await this.register();
    this.controller = new Controller({
      client: this.etcd,
      keys: this.keys,
      brokerId: this.brokerId,
      session: () =>
        this.registration?.isFresh() ? { brokerEpoch: this.registration.brokerEpoch, leaseId: this.registration.leaseId } : undefined,
      isFresh: () => this.registration?.isFresh() ?? false,
      logger: this.log,
    });
    this.controller.start();
    this.unsubscribe = this.metadata.onChange(() => this.scheduleSync());
    this.scheduleSync();
    await this.syncIdle;
    this.log.info({ brokerId: this.brokerId, address, cleanStart: this.cleanStart }, "joined the cluster");
  }

  private async register(): Promise<void> {
    this.registration = await BrokerRegistration.register(
      {
        etcd: this.etcd,
        keys: this.keys,
        registration: {
          id: this.brokerId,
          address: this.address,
          rack: this.options.config.rack ?? "",
          version: this.options.version,
          cleanStart: this.cleanStart,
          features: { ...supportedFeatures },
          shuttingDown: this.shuttingDown,
        },
        sessionTimeoutMs: this.options.config.brokerSessionTimeoutMs,
        logger: this.log,
        onFenced: () => this.onFenced(),
      },
      this.options.clock,
    );
    this.replicaStatesReported = false;
  }

  /**
   * The lease may have expired: every leadership of this incarnation is void (the
   * controller will have moved them). Register a new incarnation, whose replicas
   * rejoin the ISR only by catching up (CLUSTER.md section 2).
   */
  private onFenced(): void {
    if (this.closed) return;
    // Every check of the replica manager asks isFresh(), which is false from now on for
    // this incarnation; streams reading partitions led here end now.
    this.endLeaderships(() => true);
    this.notifySynced();
    const retry = (): void => {
      if (this.closed) return;
      this.register().then(
        () => {
          this.controller?.registered();
          this.scheduleSync();
        },
        (err: unknown) => {
          this.log.warn({ err }, "registering again failed; retrying");
          setTimeout(retry, reregisterBackoffMs).unref();
        },
      );
    };
    retry();
  }

  /** Brings local state in line with the metadata; one run at a time, the last change always seen. */
  private scheduleSync(): void {
    if (this.closed) return;
    if (this.syncRunning) {
      this.syncAgain = true;
      return;
    }
    this.syncRunning = true;
    this.syncIdle = (async () => {
      try {
        do {
          this.syncAgain = false;
          await this.syncLocal().catch((err: unknown) => {
            // Level-triggered: the whole state is applied again, on the next change or
            // after a pause, whichever comes first (a report to etcd may have failed).
            this.log.error({ err }, "applying cluster metadata failed; retrying");
            clearTimeout(this.syncRetry);
            this.syncRetry = setTimeout(() => this.scheduleSync(), syncRetryMs);
            this.syncRetry.unref();
          });
        } while (this.syncAgain && !this.closed);
      } finally {
        this.syncRunning = false;
      }
    })();
  }

  private async syncLocal(): Promise<void> {
    const metadata = this.metadata;
    const replicas = this.replicas;
    if (metadata === undefined) return;
    const snapshot = metadata.current;
    const { topics } = this.options;
    for (const [name, entry] of snapshot.topics) {
      if (this.closed) return;
      const assignment = entry.assignment;
      let local = topics.find(name);
      if (local !== undefined && local.topicId !== assignment.topicId) {
        // Deleted and created again while this broker was away (KIP-516): the old data goes.
        for (let p = 0; p < local.logs.length; p++) replicas.remove(name, p);
        await topics.delete(name, { internal: true });
        local = undefined;
      }
      const overrides = overridesFromMessage(assignment.config);
      if (local === undefined) {
        local = await topics.create(name, assignment.partitions.length, overrides, { topicId: assignment.topicId, internal: isInternalTopic(name) });
      } else if (local.logs.length < assignment.partitions.length) {
        local = await topics.createPartitions(name, assignment.partitions.length);
      }
      if (!sameOverrides(local.overrides, overrides)) local = await topics.updateConfig(name, overrides);
      for (let p = 0; p < assignment.partitions.length; p++) {
        const replicaIds = assignment.partitions[p].replicas;
        const state = snapshot.partitions.get(partitionKey(name, p));
        if (!replicaIds.includes(this.brokerId) || state === undefined || state.state.topicId !== assignment.topicId) {
          replicas.remove(name, p);
          continue;
        }
        const view: PartitionView = {
          topic: name,
          topicId: assignment.topicId,
          partition: p,
          replicas: replicaIds,
          entry: state,
          minInsyncReplicas: local.config.minInsyncReplicas,
        };
        replicas.apply(view);
      }
    }
    this.endLeaderships((topic, partition) => this.replicas.leaderEpoch(topic, partition) === undefined);
    for (const local of topics.list(false)) {
      if (local.topicId === undefined || snapshot.topics.has(local.name)) continue;
      for (let p = 0; p < local.logs.length; p++) replicas.remove(local.name, p);
      await topics.delete(local.name);
    }
    await this.reportReplicaStates(snapshot);
    this.notifySynced();
  }

  /**
   * Calls `listener` after each time local state was brought in line with the metadata
   * (leaderships applied) and after a self-fence: the group coordination
   * (coordinator/group-coordination.ts) looks again at which offsets partitions it leads.
   * Returns the unsubscribe.
   */
  onSynced(listener: () => void): () => void {
    this.syncListeners.add(listener);
    return () => this.syncListeners.delete(listener);
  }

  private notifySynced(): void {
    for (const listener of this.syncListeners) {
      try {
        listener();
      } catch (err) {
        this.log.error({ err }, "a metadata listener failed");
      }
    }
  }

  /** The metadata as this broker last saw it; undefined before it joined. */
  get snapshot(): ClusterSnapshot | undefined {
    return this.metadata?.current;
  }

  /** This broker's id. */
  get id(): number {
    return this.brokerId;
  }

  /** Whether this broker's lease is fresh: cut off from etcd, its metadata may be stale. */
  inContact(): boolean {
    return this.registration?.isFresh() === true;
  }

  /** The leader epoch this broker leads the partition in, when it does in a live
   * incarnation (lease fresh); else undefined. */
  leaderEpochOf(topic: string, partition: number): number | undefined {
    if (this.registration?.isFresh() !== true) return undefined;
    return this.replicas.leaderEpoch(topic, partition);
  }

  /** Whether this broker is one of the partition's assigned replicas (brokers hold an
   * empty local log for the partitions they are not replicas of: never serve those). */
  isReplica(topic: string, partition: number): boolean {
    return this.metadata?.current.topics.get(topic)?.assignment.partitions[partition]?.replicas.includes(this.brokerId) === true;
  }

  /** A live broker's advertised address. */
  brokerAddress(id: number): string | undefined {
    return this.metadata?.current.brokers.get(id)?.registration.address;
  }

  /**
   * Writes an internal topic (__consumer_offsets) to etcd like any topic (a guarded
   * txn): TOPIC_EXISTS when another broker won, INVALID_REPLICATION_FACTOR with fewer
   * live brokers than `replicationFactor` (never lowered).
   */
  async createInternalTopic(name: string, partitions: number, replicationFactor: number, config: TopicConfig): Promise<void> {
    await this.writes.createTopic({ name, partitions, replicationFactor, config });
  }

  /**
   * After an unclean start, each replica's last epoch and log end go to etcd, once per
   * incarnation: the controller needs them for KIP-966's recovery when every ISR member
   * of a partition restarted uncleanly (CLUSTER.md section 3).
   */
  private async reportReplicaStates(snapshot: ClusterSnapshot): Promise<void> {
    const registration = this.registration;
    if (this.cleanStart || this.replicaStatesReported || registration === undefined) return;
    const { topics } = this.options;
    for (const [name, entry] of snapshot.topics) {
      const local = topics.find(name);
      if (local === undefined) continue;
      for (let p = 0; p < entry.assignment.partitions.length; p++) {
        if (!entry.assignment.partitions[p].replicas.includes(this.brokerId)) continue;
        const log = local.logs[p];
        const lastEpoch = log.leaderEpochs().at(-1)?.epoch ?? -1;
        const value = toJsonString(
          ReplicaStateSchema,
          create(ReplicaStateSchema, {
            topicId: entry.assignment.topicId,
            brokerEpoch: registration.brokerEpoch,
            lastEpoch,
            logEndOffset: log.logEndOffset,
          }),
        );
        await this.etcd.put(this.keys.replicaState(name, p, this.brokerId), value);
      }
    }
    this.replicaStatesReported = true;
  }

  /** The leader's ISR change: a CAS on the partition key that also checks this
   * incarnation's registration (CLUSTER.md section 2). Undefined on a conflict. */
  private async alterIsr(view: PartitionView, isr: ReadonlyArray<{ brokerId: number; brokerEpoch: bigint }>) {
    const registration = this.registration;
    if (registration === undefined || !registration.isFresh()) return undefined;
    const state = create(PartitionStateSchema, {
      ...view.entry.state,
      isr: isr.map((m) => create(IsrMemberSchema, { brokerId: m.brokerId, brokerEpoch: m.brokerEpoch })),
    });
    const key = this.keys.partition(view.topic, view.partition);
    const result = await this.etcd.txn({
      compare: [
        { key, target: "mod", value: view.entry.modRevision },
        { key: this.keys.broker(this.brokerId), target: "create", value: registration.brokerEpoch },
      ],
      success: [{ put: { key, value: toJsonString(PartitionStateSchema, state) } }],
    });
    if (!result.succeeded) return undefined;
    return { topic: view.topic, partition: view.partition, state, modRevision: result.revision };
  }

  // ---- PartitionGate ----

  leads(topic: string, partition: number): boolean {
    return this.registration?.isFresh() === true && this.replicas.leaderEpoch(topic, partition) !== undefined;
  }

  checkWrite(topic: string, partition: number, acksAll: boolean): number {
    this.checkLeading(topic, partition);
    return this.replicas.checkLeader(topic, partition, { acksAll });
  }

  async acknowledge(
    topic: string,
    partition: number,
    lastOffset: bigint,
    acksAll: boolean,
    leaderEpoch: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // In the epoch the batch was appended in: after a leader change, the same offsets may
    // hold other records (the batch was truncated away), and must not be acknowledged.
    if (acksAll) await this.replicas.waitForHighWatermark(topic, partition, lastOffset + 1n, signal ?? neverAborted, leaderEpoch);
    // A leader paused past its lease and resumed acknowledges nothing: checked now, synchronously.
    this.checkLeading(topic, partition);
    this.replicas.checkLeader(topic, partition, { acksAll: false, leaderEpoch });
  }

  checkRead(topic: string, partition: number): void {
    this.checkLeading(topic, partition);
    this.replicas.checkLeader(topic, partition, { acksAll: false });
  }

  leadershipEnded(topic: string, partition: number): AbortSignal {
    if (!this.leads(topic, partition)) return AbortSignal.abort(new NotLeaderError(topic, partition, this.leaderAddress(topic, partition)));
    const key = partitionKey(topic, partition);
    let controller = this.leaderships.get(key);
    if (controller === undefined) this.leaderships.set(key, (controller = new AbortController()));
    return controller.signal;
  }

  /** Aborts the leadership signals of the partitions `ended` picks. */
  private endLeaderships(ended: (topic: string, partition: number) => boolean): void {
    for (const [key, controller] of this.leaderships) {
      const cut = key.lastIndexOf("/");
      const topic = key.slice(0, cut);
      const partition = Number(key.slice(cut + 1));
      if (!ended(topic, partition)) continue;
      this.leaderships.delete(key);
      controller.abort(new NotLeaderError(topic, partition, this.leaderAddress(topic, partition)));
    }
  }

  private checkLeading(topic: string, partition: number): void {
    if (this.replicas.leaderEpoch(topic, partition) === undefined && this.metadata?.current.partitions.get(partitionKey(topic, partition))?.state.leader === -1) {
      throw new PartitionOfflineError(topic, partition);
    }
    if (this.registration?.isFresh() !== true) throw new NotLeaderError(topic, partition, this.leaderAddress(topic, partition));
  }

  /** The leader's address from the metadata, unless it is this broker. */
  leaderAddress(topic: string, partition: number): string | undefined {
    const snapshot = this.metadata?.current;
    const leader = snapshot?.partitions.get(partitionKey(topic, partition))?.state.leader;
    if (leader === undefined || leader < 0 || leader === this.brokerId) return undefined;
    return snapshot?.brokers.get(leader)?.registration.address;
  }

  // ---- ClusterAdmin ----

  readonly admin: ClusterAdmin = {
    createTopic: async (name, partitions, replicationFactor, config) => {
      const rf = replicationFactor ?? this.options.config.defaultReplicationFactor;
      if (!Number.isInteger(rf) || rf < 1) throw new InvalidArgumentError("INVALID_REPLICATION_FACTOR", "replication_factor must be at least 1");
      const assignment = await this.writes.createTopic({ name, partitions, replicationFactor: rf, config });
      return this.waitForLocal(name, (t) => t.topicId === assignment.topicId && t.logs.length === assignment.partitions.length);
    },
    deleteTopic: async (name) => {
      await this.writes.deleteTopic(name);
      await this.metadataCache().waitUntil(() => this.options.topics.find(name)?.topicId === undefined || !this.metadataCache().current.topics.has(name), applyTimeoutMs);
      await this.syncIdle;
    },
    createPartitions: async (name, totalCount) => {
      const assignment = await this.writes.createPartitions(name, totalCount);
      return this.waitForLocal(name, (t) => t.topicId === assignment.topicId && t.logs.length >= assignment.partitions.length);
    },
    updateTopicConfig: async (name, config) => this.updateTopicConfig(name, config),
    partition: (topic, partition) => this.partitionReplication(topic, partition),
    checkLeader: (topic, partition) => this.checkRead(topic, partition),
    replicationFactor: (topic) => this.metadataCache().current.topics.get(topic)?.assignment.partitions[0]?.replicas.length ?? 1,
    brokers: () => this.liveBrokers(),
    controllerId: () => this.metadataCache().current.controller?.brokerId ?? -1,
    checkMetadataFresh: () => {
      if (!this.inContact()) throw new MetadataStaleError();
    },
    finalizedFeatures: () => finalizedFeatures(this.metadataCache().current.brokers.values()),
  };

  private metadataCache(): MetadataCache {
    if (this.metadata === undefined) throw new UnavailableError("BROKER_STARTING", "the broker is joining its cluster");
    return this.metadata;
  }

  private liveBrokers(): ClusterBroker[] {
    return [...this.metadataCache().current.brokers.values()]
      .map(({ registration: r }) => ({
        id: r.id,
        address: r.address,
        rack: r.rack,
        version: r.version,
        supportedFeatures: { ...r.features },
        shuttingDown: r.shuttingDown,
      }))
      .sort((a, b) => a.id - b.id);
  }

  private partitionReplication(topic: string, partition: number): PartitionReplication {
    const snapshot = this.metadataCache().current;
    const entry = snapshot.partitions.get(partitionKey(topic, partition));
    const replicas = snapshot.topics.get(topic)?.assignment.partitions[partition]?.replicas ?? [];
    return {
      leader: entry?.state.leader ?? -1,
      replicas,
      isr: entry?.state.isr.map((m) => m.brokerId) ?? [],
      leaderEpoch: entry?.state.leaderEpoch ?? 0,
    };
  }

  /** A config change: a CAS on the topic key (its mod revision), then applied by every broker. */
  private async updateTopicConfig(name: string, config: TopicConfig | undefined): Promise<Topic> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = this.metadataCache().current.topics.get(name);
      if (entry === undefined) throw new UnknownTopicError(`topic ${name} does not exist`);
      const merged = create(TopicAssignmentSchema, entry.assignment);
      const base = merged.config ?? create(TopicConfigSchema, {});
      for (const [field, value] of Object.entries(config ?? {})) {
        if (field.startsWith("$") || value === undefined || value === 0) continue;
        (base as unknown as Record<string, unknown>)[field] = value;
      }
      merged.config = base;
      const key = this.keys.topic(name);
      const result = await this.etcd.txn({
        compare: [{ key, target: "mod", value: entry.modRevision }],
        success: [{ put: { key, value: toJsonString(TopicAssignmentSchema, merged) } }],
      });
      if (result.succeeded) {
        const expected = overridesFromMessage(base);
        return this.waitForLocal(name, (t) => sameOverrides(t.overrides, expected));
      }
      await this.metadataCache().waitUntil((s) => (s.topics.get(name)?.modRevision ?? 0n) !== entry.modRevision, applyTimeoutMs);
    }
    throw new UnavailableError("CONCURRENT_MODIFICATION", `topic ${name} kept changing; retry`);
  }

  /** Waits until the local topic matches what this broker just wrote to etcd. */
  private async waitForLocal(name: string, done: (topic: Topic) => boolean): Promise<Topic> {
    const deadline = Date.now() + applyTimeoutMs;
    for (;;) {
      const local = this.options.topics.find(name);
      if (local !== undefined && done(local)) return local;
      if (Date.now() > deadline) throw new UnavailableError("METADATA_NOT_APPLIED", `topic ${name}: the change is in etcd but not applied here yet`);
      await new Promise<void>((resolve) => {
        const off = this.options.topics.onChange(() => {
          off();
          clearTimeout(timer);
          resolve();
        });
        const timer = setTimeout(() => {
          off();
          resolve();
        }, 50);
      });
    }
  }

  /** The lowest level of feature `name` every live broker advertises (0 when any lacks it):
   * something new between brokers is used only at this level (services/cluster/features.ts). */
  featureLevel(name: string): number {
    return featureLevel(this.metadataCache().current.brokers.values(), name);
  }

  /**
   * Controlled shutdown (SIGTERM; docs/cluster.md, "Rolling restarts"): rewrites this
   * broker's registration with `shutting_down` under the same lease (the broker epoch
   * stays), so the controller moves each leadership it holds to another in-sync replica
   * (a new leader epoch) and takes it out of ISRs (decide.ts); then waits, at most
   * `timeoutMs` or until `signal` aborts, until the metadata shows it leads nothing another
   * in-sync replica could lead and is in no ISR a live leader could shrink. The broker keeps
   * serving meanwhile: its followers copy the last records, its acks=ALL waiters are
   * answered or fail over. `close` follows. Skipped, so that the broker does not wait for
   * nothing, unless every live broker supports it (feature `controlled-shutdown` at level 1:
   * a controller of an older build ignores the flag).
   */
  async controlledShutdown(options: { timeoutMs: number; signal?: AbortSignal }): Promise<ControlledShutdownOutcome> {
    const registration = this.registration;
    const metadata = this.metadata;
    const skipped = (why: string): ControlledShutdownOutcome => {
      this.log.info({ why }, "controlled shutdown skipped: leaving without moving leaderships");
      return { result: "skipped", leaderships: 0, elapsedMs: 0, stillLeading: [] };
    };
    if (this.closed || registration === undefined || metadata === undefined || !registration.isFresh()) return skipped("not registered");
    const brokers = [...metadata.current.brokers.values()];
    const level = featureLevel(brokers, controlledShutdownFeature);
    if (level < 1) {
      const lacking = brokers.filter((b) => (b.registration.features[controlledShutdownFeature] ?? 0) < 1).map((b) => b.registration.id);
      return skipped(`not every live broker supports ${controlledShutdownFeature} (brokers without it: ${lacking.join(", ")})`);
    }
    if (options.timeoutMs <= 0) return skipped("controlledShutdownTimeoutMs is 0");
    const leaderships = handOff(metadata.current, this.brokerId, registration.brokerEpoch).leading.length;
    this.log.info({ brokerEpoch: registration.brokerEpoch, leaderships, timeoutMs: options.timeoutMs }, "controlled shutdown: asking the controller to move leaderships");
    const underMinIsr = leftUnderMinIsr(metadata.current, this.brokerId, registration.brokerEpoch);
    if (underMinIsr.length > 0) {
      // Not a reason to wait (Kafka does not either), but what an operator rolling a cluster must hear.
      this.log.warn({ partitions: underMinIsr.slice(0, 20), count: underMinIsr.length }, "controlled shutdown: without this broker these partitions have fewer in-sync replicas than their minInsyncReplicas (acks=ALL writes wait; with no other replica the partition is offline) until it is back");
    }
    this.shuttingDown = true;
    const startedMs = Date.now();
    if (!(await registration.markShuttingDown())) return skipped("the registration is no longer this incarnation's");
    this.log.info({ brokerEpoch: registration.brokerEpoch }, "controlled shutdown: registration marked shutting_down");
    const result = await waitForHandOff(metadata, this.brokerId, registration.brokerEpoch, options.timeoutMs - (Date.now() - startedMs), options.signal);
    const elapsedMs = Date.now() - startedMs;
    const left = handOff(metadata.current, this.brokerId, registration.brokerEpoch);
    const fields = { elapsedMs, leaderships, stillLeading: left.leading, stillMovable: left.movable, stillInIsr: left.inIsr };
    if (result === "moved") this.log.info(fields, "controlled shutdown: leaderships moved; this broker leads nothing another in-sync replica could lead");
    else if (result === "timed-out") this.log.warn(fields, "controlled shutdown: timed out (controlledShutdownTimeoutMs); leaving anyway");
    else this.log.warn(fields, "controlled shutdown: cut short by a second signal; leaving now");
    return { result, leaderships, elapsedMs, stillLeading: left.leading };
  }

  /**
   * Stops acting in the cluster — replicating, campaigning, applying metadata — but
   * stays registered: after a controlled shutdown the broker flushes and writes its
   * clean-shutdown marker first, and only then revokes its lease (`close`).
   */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.syncRetry);
    this.endLeaderships(() => true);
    this.unsubscribe?.();
    // The controller key goes now, not with the lease: another broker is elected while
    // this one flushes (after a controlled shutdown the lease goes last).
    await this.controller?.resign().catch((err: unknown) => this.log.warn({ err }, "resigning as controller failed; the key goes with the lease"));
    this.controller?.close();
    await this.replicas.close();
    await this.syncIdle.catch(() => undefined);
    this.metadata?.close();
    this.security?.close();
  }

  /**
   * Leaves the cluster: `stop`, then revokes the lease, so the key goes at once (no
   * waiting for the TTL) and the controller moves whatever this broker still led.
   */
  async close(): Promise<void> {
    await this.stop();
    if (this.left) return;
    this.left = true;
    await this.registration?.close().then(
      () => this.log.info({ brokerEpoch: this.registration?.brokerEpoch }, "lease revoked: left the cluster"),
      (err: unknown) => this.log.warn({ err }, "revoking the lease failed"),
    );
    this.etcd.close();
  }

  async markCleanShutdown(): Promise<void> {
    await writeFileAtomic(join(this.options.config.dataDir, "meta", cleanShutdownMarker), Buffer.alloc(0), true);
  }
}

/** The same settings, whatever the keys' order (a merged update keeps the old order):
 * a difference rewrites the topic's metadata file, so it must not be seen where there is none. */
function sameOverrides(a: TopicConfigOverrides, b: TopicConfigOverrides): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof TopicConfigOverrides>;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
