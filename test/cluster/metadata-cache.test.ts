import { create, toJsonString } from "@bufbuild/protobuf";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerRegistrationSchema, TopicAssignmentSchema } from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { ClusterKeys } from "../../services/cluster/cluster-keys.js";
import { EtcdClient, startEtcd, type EtcdProcesses } from "../../services/cluster/etcd/index.js";
import { MetadataCache } from "../../services/cluster/metadata-cache.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";

const logger = pino({ level: "silent" });
const keys = new ClusterKeys("cache-test");

describe("MetadataCache", () => {
  let dir: string;
  let etcd: EtcdProcesses;
  let proxy: FaultProxy;
  let admin: EtcdClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "tributary-cache-"));
    etcd = await startEtcd({ dataDir: join(dir, "etcd") });
    proxy = await startFaultProxy({ target: etcd.endpoints[0].replace("http://", "") });
    admin = new EtcdClient({ endpoints: etcd.endpoints });
  });
  afterAll(async () => {
    admin?.close();
    await proxy?.close();
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("follows the prefix, gives brokers their epoch, and re-reads after a broken watch over a compaction", async () => {
    await admin.put(keys.broker(1), toJsonString(BrokerRegistrationSchema, create(BrokerRegistrationSchema, { id: 1, address: "a:1" })));
    // The cache reaches etcd through the proxy, so the test can break its watch.
    const client = new EtcdClient({ endpoints: [`http://${proxy.address}`], requestTimeoutMs: 1000 });
    const cache = await MetadataCache.start(client, keys, logger);
    try {
      const registered = await admin.get(keys.broker(1));
      expect(cache.current.brokers.get(1)?.brokerEpoch).toBe(registered!.createRevision);

      // Live: a new topic arrives through the watch.
      const topic = (name: string) => toJsonString(TopicAssignmentSchema, create(TopicAssignmentSchema, { name, topicId: `id-${name}` }));
      await admin.put(keys.topic("a"), topic("a"));
      await cache.waitUntil((s) => s.topics.has("a"), 5_000);

      // Cut off; meanwhile a topic comes, one goes, a broker leaves, and etcd compacts
      // past the watch's revision: the watch cannot resume, the cache must read again.
      proxy.setMode("reset");
      await admin.put(keys.topic("b"), topic("b"));
      await admin.delete(keys.topic("a"));
      await admin.delete(keys.broker(1));
      const { revision } = await admin.put(keys.topic("c"), topic("c"));
      await admin.compact(revision);
      proxy.setMode("pass");
      await cache.waitUntil((s) => s.topics.has("c") && s.topics.has("b") && !s.topics.has("a") && !s.brokers.has(1), 15_000);
      expect(cache.current.revision).toBeGreaterThanOrEqual(revision);

      // And it keeps following afterwards.
      await admin.put(keys.topic("d"), topic("d"));
      await cache.waitUntil((s) => s.topics.has("d"), 5_000);
    } finally {
      cache.close();
      client.close();
    }
  });
});
