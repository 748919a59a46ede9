import { mkdir, access, constants } from "node:fs/promises";
import { readFileSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import type { ServerHttp2Session } from "node:http2";
import { Server, ServerCredentials, type ServerInterceptor, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { pino, type Logger } from "pino";
import { createAdminService } from "./admin/index.js";
import { createCommitService } from "./commit/index.js";
import { Authorizer, readTlsFile } from "./auth/index.js";
import { authEnabled, parseHostPort, resolveConfig, type BrokerConfig } from "./config.js";
import { lockDataDir } from "./data-dir-lock.js";
import { InvalidConfigError, TributaryError } from "./errors.js";
import { createFetchHandler, createSubscribeHandler, StreamBudget, TimestampLookups } from "./fetch/index.js";
import { startHttpServer } from "./http/index.js";
import { consoleCredentials, createConsoleHandler, type ConsoleHandler } from "./http/console/index.js";
import { GroupCoordinator, GroupExpiry, OffsetStore } from "./groups/index.js";
import { BrokerMetrics } from "./metrics/index.js";
import { createProduceHandler, createProduceParser, produceStreamCodec } from "./produce/index.js";
import {
  addReflection,
  authenticateFirst,
  bindService,
  http2ServersOf,
  parsedRequest,
  pipelinedRequests,
  PipelinedStreams,
  setHttp2Settings,
  toServiceError,
  type BoundService,
} from "./rpc/index.js";
import { TopicManager } from "./topics/index.js";
import { ClusterNode, GroupCoordination, LeaderReads, interBrokerCredentials, supportedFeatures, type SecurityStore } from "./cluster/index.js";
import { systemClock, type Clock } from "./clock.js";
import { packagePath } from "./package-root.js";
import { AdminService } from "../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../gen/ts/tributary/v1/produce_pb.js";
import { ReplicaService } from "../gen/ts/tributary/cluster/v1/replica_pb.js";

export const descriptorSetPath = packagePath("gen/descriptor.binpb");
export const version: string = (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;

export interface StartBrokerOptions {
  /** Root logger; default pino at the config's level, to stdout. */
  readonly logger?: Logger;
  /** Wall clock; tests pass their own. */
  readonly clock?: Clock;
  /** The quota buckets' clock (services/auth/quotas.ts); default performance.now().
   * Tests pass their own to repay or hold a principal's debt without waiting. */
  readonly quotaClock?: Clock;
}

export interface Broker {
  readonly config: BrokerConfig;
  /** The gRPC port actually bound (useful with port 0). */
  readonly port: number;
  /** "host:port" for clients. */
  readonly address: string;
  /** The HTTP port, or undefined when HTTP is off. */
  readonly httpPort: number | undefined;
  readonly topics: TopicManager;
  /** Consumer groups' live state and committed offsets (tests look inside). */
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  /** Cluster mode (etcdEndpoints given): this broker's part in the cluster. */
  readonly cluster: ClusterNode | undefined;
  /** Stops accepting calls, ends streams, flushes and fsyncs every partition. */
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /** Cluster mode: a controlled shutdown first (SIGTERM; docs/cluster.md, "Rolling
   * restarts"): the broker has the controller move its leaderships away and waits for
   * that, at most `controlledShutdownTimeoutMs`, while it keeps serving. Default false:
   * it leaves at once (its lease revoked, the controller moves leaderships then). */
  readonly controlled?: boolean;
  /** Aborted: the controlled shutdown's wait ends now (a second SIGTERM or SIGINT); the
   * rest of the shutdown (flush, clean-shutdown marker, lease) still runs. */
  readonly signal?: AbortSignal;
}

/** How long close() lets in-flight calls finish before cutting them. */
const shutdownGraceMs = 5_000;

/**
 * Opens storage and serves the four Tributary services plus reflection and
 * health on one gRPC port. The same function backs `tributary serve` and
 * every test's broker.
 */
export async function startBroker(
  settings: Partial<BrokerConfig> = {},
  options: StartBrokerOptions = {},
): Promise<Broker> {
  const config = resolveConfig({ source: "startBroker", values: settings as Record<string, unknown> });
  const logger = options.logger ?? pino({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const log = logger.child({ component: "broker" });
  const listen = parseHostPort(config.listen)!;

  // Before anything else: bad TLS files or config fail the start, not the first call.
  const credentials = serverCredentials(config);
  // The console is a client of the gRPC port: with TLS or auth on it needs credentials too.
  const consoleClient = config.http === "off" ? undefined : consoleCredentials(config);
  const clustered = config.etcdEndpoints.length > 0;
  // Cluster mode: how this broker calls the others (the inter-broker principal, TLS).
  const interBroker = clustered ? interBrokerCredentials(config) : undefined;
  // A cluster's rules come from etcd (below, before the port opens); until then, none.
  const auth = authEnabled(config)
    ? new Authorizer({
        authTokens: clustered ? [] : config.authTokens,
        acls: clustered ? [] : config.acls,
        mutualTls: config.tlsClientCa !== undefined,
        quotas: clustered ? [] : config.quotas,
        quotaClock: options.quotaClock,
        interBrokerPrincipal: config.interBrokerPrincipal,
        interBrokerTokenSha256: interBroker?.tokenSha256,
      })
    : undefined;
  await prepareDataDir(config.dataDir);
  const unlock = await lockDataDir(config.dataDir);
  let topics: TopicManager | undefined;
  let coordinator: GroupCoordinator | undefined;
  let expiry: GroupExpiry | undefined;
  let server: Server | undefined;
  let produceStreams: PipelinedStreams | undefined;
  let http: HttpServer | undefined;
  let cluster: ClusterNode | undefined;
  let coordination: GroupCoordination | undefined;
  let leaderReads: LeaderReads | undefined;
  try {
    // Process metrics start timers for the life of the process: only when /metrics is served.
    const metrics = new BrokerMetrics({ processMetrics: config.http !== "off" });
    topics = await TopicManager.open({ config, logger, clock, onFsync: metrics.onFsync, replicated: clustered });
    cluster = clustered ? new ClusterNode({ config, topics, logger, clock, version, interBroker }) : undefined;
    const security = cluster === undefined ? undefined : await startClusterSecurity(cluster, config, auth);
    const gate = cluster;
    // Cluster mode: __consumer_offsets lives in etcd like any topic; each broker holds the
    // groups of the offsets partitions it leads (services/cluster/coordinator).
    coordination = cluster === undefined ? undefined : new GroupCoordination({ node: cluster, topics, config, logger });
    const groupGate = coordination;
    const reads = cluster === undefined ? undefined : (leaderReads = new LeaderReads(cluster, topics, logger));
    const offsets =
      coordination === undefined
        ? await OffsetStore.open({ topics, partitions: config.offsetsTopicPartitions, logger })
        : OffsetStore.forCluster({ partitions: () => coordination!.partitionCount(), append: (p, spans) => coordination!.append(p, spans), logger });
    metrics.watch(topics, offsets);
    coordinator = new GroupCoordinator(topics, config, logger, clock, (groupId) => coordination?.generationBase(groupId) ?? 0);
    coordination?.attach(coordinator, offsets);
    expiry = new GroupExpiry({
      coordinator,
      offsets,
      clock,
      retentionMs: config.groupOffsetsRetentionMs,
      checkIntervalMs: config.retentionCheckIntervalMs,
      logger,
    });
    // With auth on, calls are authenticated from their metadata before their body is read.
    server = createGrpcServer(config, auth === undefined ? [] : [authenticateFirst(auth, logger, metrics.rpc)]);
    let port = 0;
    const advertised = () => ({ host: listen.host, port });
    // One bound on what Subscribe streams hold and on the large batches Fetch reads whole.
    const readBudget = new StreamBudget(config.subscribeMemoryBytes, config.streamBufferBytes);
    // One gate for every RPC that looks an offset up by time.
    const lookups = new TimestampLookups();
    // One handler for both: a ProduceStream request is a Produce (services/rpc/pipelined-stream.ts).
    const produce = createProduceHandler({ topics, config, logger, metrics: metrics.traffic, gate });
    produceStreams = new PipelinedStreams();
    const services: BoundService[] = [
      bindService(
        ProduceService,
        { produce: parsedRequest(produce), produceStream: pipelinedRequests(produce) },
        logger,
        { produce: { request: createProduceParser(config) }, produceStream: { request: createProduceParser(config), pipeline: { answers: produceStreamCodec, streams: produceStreams } } },
        metrics.rpc,
        auth,
      ),
      bindService(
        FetchService,
        {
          fetch: createFetchHandler({ topics, config, metrics: metrics.traffic, budget: readBudget, gate }),
          subscribe: createSubscribeHandler({
            topics,
            config,
            logger,
            coordinator,
            offsets,
            metrics: metrics.traffic,
            budget: readBudget,
            lookups,
            gate,
            groupGate,
            reads,
          }),
        },
        logger,
        { fetch: { response: "raw" }, subscribe: { response: "raw" } },
        metrics.rpc,
        auth,
      ),
      bindService(
        CommitService,
        createCommitService({ topics, coordinator, offsets, clock, groupGate }),
        logger,
        {},
        metrics.rpc,
        auth,
      ),
      bindService(
        AdminService,
        createAdminService({ topics, config, version, features: supportedFeatures, advertised, coordinator, offsets, clock, lookups, cluster: cluster?.admin, groupGate, reads, security }),
        logger,
        {},
        metrics.rpc,
        auth,
      ),
    ];
    // Between brokers only (CLUSTER.md section 4); with auth on, only the inter-broker
    // principal may call it (services/auth/method-acls.ts).
    if (cluster !== undefined) services.push(bindService(ReplicaService, cluster.replicaService, logger, {}, metrics.rpc, auth));
    for (const { definition, implementation } of services) server.addService(definition, implementation);
    addReflection(
      server,
      descriptorSetPath,
      auth !== undefined && config.reflectionRequiresAuth ? requireAuthentication(auth, logger) : undefined,
    );
    const health = new HealthImplementation({ "": "SERVING" });
    health.addToServer(server);

    const grpcServer = server;
    port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync(config.listen, credentials, (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    widenSessionWindows(server, config.http2WindowBytes, metrics);
    limitConnections(server, config.maxConnections, log);

    let ready = true;
    let httpPort: number | undefined;
    let consoleHandler: ConsoleHandler | undefined;
    if (config.http !== "off") {
      const { host, port: wanted } = parseHostPort(config.http)!;
      // A wildcard listen address is not one to dial: the console is on this host, so loopback.
      const consoleHost = listen.host === "0.0.0.0" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host;
      consoleHandler = createConsoleHandler({
        address: grpcAddress(consoleHost, port),
        ...consoleClient,
        listenHost: host,
        allowedHosts: config.consoleAllowedHosts,
        logger,
      });
      if (config.tlsCert !== undefined || auth !== undefined) await consoleHandler.probe();
      const started = await startHttpServer(host, wanted, { ready: () => ready, console: consoleHandler, metrics: metrics.registry });
      http = started.server;
      httpPort = started.port;
    }
    const address = grpcAddress(listen.host, port);
    log.info({ address, port, httpPort, dataDir: config.dataDir, version }, "broker listening");
    // Joined only now: the address other brokers dial must be bound first.
    await cluster?.start(config.advertise ?? advertisedAddress(listen.host, port));

    let closed: Promise<void> | undefined;
    const openTopics = topics;
    const openCoordinator = coordinator;
    const openExpiry = expiry;
    const openCluster = cluster;
    const openCoordination = coordination;
    const openLeaderReads = leaderReads;
    return {
      config,
      port,
      address,
      httpPort,
      topics: openTopics,
      coordinator: openCoordinator,
      offsets,
      cluster: openCluster,
      close(closeOptions: CloseOptions = {}) {
        closed ??= (async () => {
          // Still serving meanwhile: followers copy the last records, acks=ALL waiters finish.
          let handedOff = false;
          if (closeOptions.controlled === true && openCluster !== undefined) {
            const outcome = await openCluster
              .controlledShutdown({ timeoutMs: config.controlledShutdownTimeoutMs, signal: closeOptions.signal })
              .catch((err: unknown) => log.warn({ err }, "controlled shutdown failed; leaving without it"));
            handedOff = outcome !== undefined && outcome.result !== "skipped";
          }
          ready = false;
          health.setStatus("", "NOT_SERVING");
          openTopics.stopReaders();
          produceStreams?.closeAll();
          openCoordination?.close();
          openLeaderReads?.close();
          // Handed off: flush and mark first, then revoke the lease (below). Otherwise leaving
          // first revokes the lease, so the controller moves leadership at once.
          if (handedOff) await openCluster?.stop();
          else await openCluster?.close();
          await shutdownGrpc(grpcServer);
          await openExpiry.stop();
          openCoordinator.close();
          await openTopics.close();
          log.info({}, "partitions flushed");
          if (openCluster !== undefined) {
            await openCluster.markCleanShutdown();
            log.info({}, "clean-shutdown marker written");
          }
          await openCluster?.close();
          await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
          consoleHandler?.close();
          http?.closeAllConnections();
          await unlock();
          log.info({ address }, "broker stopped");
        })();
        return closed;
      },
    };
  } catch (err) {
    coordination?.close();
    leaderReads?.close();
    await cluster?.close().catch(() => undefined);
    server?.forceShutdown();
    await expiry?.stop();
    coordinator?.close();
    http?.close();
    await topics?.close().catch(() => undefined);
    await unlock();
    throw err;
  }
}

/**
 * Cluster mode: tokens, ACLs and quotas come from etcd's config/ and follow its changes
 * (docs/security.md, "Identity in a cluster"). A broker with authentication seeds config/
 * from its config file if no broker did before; a broker without authentication refuses
 * to join a cluster that has it, rather than serve every call unchecked.
 */
async function startClusterSecurity(cluster: ClusterNode, config: BrokerConfig, auth: Authorizer | undefined): Promise<SecurityStore> {
  const security = await cluster.startSecurity();
  if (auth === undefined) {
    if (await security.bootstrapped()) {
      throw new InvalidConfigError(
        `cluster ${config.clusterName} runs with authentication (etcd's config/bootstrap): give this broker interBrokerPrincipal and its credential as on the others (docs/security.md)`,
      );
    }
    return security;
  }
  security.onChange((rules) => auth.replaceRules(rules));
  await security.seed({ authTokens: config.authTokens, acls: config.acls, quotas: config.quotas }, config.brokerId);
  auth.replaceRules(security.current);
  return security;
}

/** Plaintext, TLS (tlsCert + tlsKey) or mutual TLS (plus tlsClientCa: client certificates required). */
function serverCredentials(config: BrokerConfig): ServerCredentials {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return ServerCredentials.createInsecure();
  const cert = readTlsFile("tlsCert", config.tlsCert);
  const key = readTlsFile("tlsKey", config.tlsKey);
  const clientCa = config.tlsClientCa === undefined ? null : readTlsFile("tlsClientCa", config.tlsClientCa);
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}

type GuardedCall = Parameters<Authorizer["authenticate"]>[0] & { emit(event: "error", err: unknown): boolean };

/** Wraps handlers (reflection's bidi streams) so that unauthenticated calls end with UNAUTHENTICATED. */
function requireAuthentication(auth: Authorizer, logger: Logger) {
  return (implementation: UntypedServiceImplementation): UntypedServiceImplementation =>
    Object.fromEntries(
      Object.entries(implementation).map(([name, handler]) => [
        name,
        (call: GuardedCall, ...rest: unknown[]) => {
          try {
            auth.authenticate(call);
          } catch (err) {
            call.emit("error", toServiceError(err, logger, `reflection/${name}`));
            return;
          }
          (handler as (...args: unknown[]) => void)(call, ...rest);
        },
      ]),
    ) as UntypedServiceImplementation;
}

/** What other brokers and clients dial when --advertise is not given: the listen host,
 * or loopback for a wildcard listen address (give --advertise on a real network). */
function advertisedAddress(host: string, port: number): string {
  return grpcAddress(host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host, port);
}

/** HOST:PORT for a gRPC client, with an IPv6 host in brackets. */
function grpcAddress(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

async function prepareDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (cause) {
    throw new TributaryError(
      "precondition",
      "DATA_DIR_UNUSABLE",
      `data directory ${dataDir} cannot be created or is not writable: ${(cause as Error).message}`,
      { cause },
    );
  }
}

function createGrpcServer(config: BrokerConfig, interceptors: ServerInterceptor[]): Server {
  const server = new Server({
    interceptors,
    "grpc.max_receive_message_length": config.maxRequestBytes,
    // A fetch answer is at most fetchMaxBytes, or one record when that is larger.
    "grpc.max_send_message_length": Math.max(config.fetchMaxBytes, config.maxRequestBytes) + 64 * 1024,
    // Find dead peers of long-lived Subscribe streams (a group member whose
    // connection is black-holed): a ping every third of the session timeout,
    // unanswered for another third, ends the connection and so the membership.
    "grpc.keepalive_time_ms": Math.max(1_000, Math.floor(config.sessionTimeoutMs / 3)),
    "grpc.keepalive_timeout_ms": Math.max(1_000, Math.floor(config.sessionTimeoutMs / 3)),
    "grpc.keepalive_permit_without_calls": 1,
    // SETTINGS_MAX_CONCURRENT_STREAMS: a client queues calls beyond it on its side.
    "grpc.max_concurrent_streams": config.maxStreamsPerConnection,
  });
  // grpc-js has no option for the server's HTTP/2 receive window: the 64 KiB
  // default halves throughput of 100 KB–1 MB requests (TOOLCHAIN.md).
  setHttp2Settings(server, { initialWindowSize: config.http2WindowBytes });
  return server;
}

/** The connection-level window is separate from the per-stream setting. Also counts
 * open connections for metrics. */
function widenSessionWindows(server: Server, windowBytes: number, metrics: BrokerMetrics): void {
  for (const http2Server of http2ServersOf(server)) {
    http2Server.on("session", (session: ServerHttp2Session) => {
      metrics.connectionOpened();
      session.once("close", () => metrics.connectionClosed());
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        session.once("connect", () => session.setLocalWindowSize(windowBytes));
      }
    });
  }
}

/** maxConnections: Node's net.Server closes a connection beyond the limit as soon as it is
 * accepted (before any HTTP/2 byte) and emits "drop"; logged at most once a second. */
function limitConnections(server: Server, maxConnections: number, log: Logger): void {
  let dropped = 0;
  let loggedAt = 0;
  for (const http2Server of http2ServersOf(server)) {
    http2Server.maxConnections = maxConnections;
    http2Server.on("drop", (peer?: { remoteAddress?: string; remotePort?: number }) => {
      dropped++;
      if (Date.now() - loggedAt < 1_000) return;
      loggedAt = Date.now();
      log.warn(
        { maxConnections, dropped, remoteAddress: peer?.remoteAddress, remotePort: peer?.remotePort },
        "connection refused: maxConnections reached",
      );
      dropped = 0;
    });
  }
}

async function shutdownGrpc(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, shutdownGraceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
