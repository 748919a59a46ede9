import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { AdminService, type DescribeClusterResponse } from "../../gen/ts/tributary/v1/admin_pb.js";
import { supportedFeatures } from "../../services/cluster/features.js";
import { startCluster, type ClusterBroker, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { repoRoot } from "../helpers/dist-build.js";
import { createVariantBuild } from "../helpers/variant-build.js";

const topic = "upgraded";
/** The feature only the newer build advertises. */
const newFeature = "upgrade-probe";

/**
 * Issue 17, "Rolling upgrades": each broker advertises its version and its features'
 * levels; a feature is finalized at the lowest level every live broker advertises
 * (services/cluster/features.ts). Two builds: today's dist/, and a copy that reports a
 * newer version and one more feature (test/helpers/variant-build.ts). Rolling the
 * cluster from one to the other, the new feature is finalized only once every broker
 * runs the newer build; a build that advertises no features at all (as every build before
 * issue 17) switches controlled shutdown off for the others: a SIGTERM'd broker then
 * leaves without waiting for a controller that may not know the flag.
 */
describe("a rolling upgrade", () => {
  let cluster: TestCluster;
  let buildsDir: string;
  let today: string;
  let nextMain: string;
  let featurelessMain: string;
  beforeAll(async () => {
    today = (JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    buildsDir = await mkdtemp(join(tmpdir(), "tributary-builds-"));
    nextMain = await createVariantBuild(join(buildsDir, "next"), { version: `${today}-next`, features: { ...supportedFeatures, [newFeature]: 1 } });
    featurelessMain = await createVariantBuild(join(buildsDir, "featureless"), { version: `${today}-featureless`, features: {} });
    cluster = await startCluster({ brokers: 3 });
    await createClusterTopic(cluster, topic, 3);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (buildsDir !== undefined) await rm(buildsDir, { recursive: true, force: true });
  });

  const describeVia = (broker: ClusterBroker): Promise<DescribeClusterResponse> =>
    createClient(AdminService, broker.address).describeCluster({}, { deadline: 2000 });
  /** Every broker's answer, once each lists all three brokers and `done` holds for it. */
  const everyBrokerSees = async (done: (d: DescribeClusterResponse) => boolean): Promise<DescribeClusterResponse[]> => {
    let answers: DescribeClusterResponse[] = [];
    await expect
      .poll(
        async () => {
          answers = await Promise.all(cluster.brokers.map(describeVia));
          return answers.every((d) => d.brokers.length === 3 && done(d));
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);
    return answers;
  };
  const fullIsr = async () => {
    await expect
      .poll(
        async () => (await createClient(AdminService, cluster.bootstrap[0]).describeTopic({ name: topic }, { deadline: 2000 })).topic!.partitions.every((p) => p.isr.length === 3),
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
  };
  /** SIGTERM, then start from `main`; the shutdown must be clean and controlled (or skipped, when `skipped`). */
  const roll = async (broker: ClusterBroker, main: string, expected: "moved" | "skipped") => {
    const exit = await broker.process.stop(40_000);
    expect(exit).toBe(0);
    if (expected === "moved") {
      await broker.process.waitForLog((e) => typeof e.msg === "string" && e.msg.startsWith("controlled shutdown: leaderships moved"), 1000);
    } else {
      const skipped = await broker.process.waitForLog((e) => e.msg === "controlled shutdown skipped: leaving without moving leaderships", 1000);
      expect(String(skipped.why)).toContain("controlled-shutdown");
      // It did not ask: its registration was never marked.
      await expect(broker.process.waitForLog((e) => e.msg === "controlled shutdown: registration marked shutting_down", 1)).rejects.toThrow();
    }
    await broker.process.waitForLog((e) => e.msg === "clean-shutdown marker written", 1000);
    await broker.start({ main });
    await fullIsr();
  };

  it("finalizes a new feature only once every broker runs the build that has it", async () => {
    // Today's build everywhere: its features are finalized, each broker shows its own.
    for (const d of await everyBrokerSees(() => true)) {
      expect(d.finalizedFeatures).toEqual(supportedFeatures);
      for (const b of d.brokers) {
        expect(b.version).toBe(today);
        expect(b.supportedFeatures).toEqual(supportedFeatures);
        expect(b.shuttingDown).toBe(false);
      }
    }
    expect(supportedFeatures["controlled-shutdown"]).toBe(1);

    // One broker after the other to the newer build: the new feature is not finalized
    // while a broker of today's build is live.
    const [first, second, third] = cluster.brokers;
    await roll(first, nextMain, "moved");
    await roll(second, nextMain, "moved");
    for (const d of await everyBrokerSees((d) => d.brokers.filter((b) => b.version === `${today}-next`).length === 2)) {
      expect(d.finalizedFeatures).toEqual(supportedFeatures);
      expect(d.finalizedFeatures[newFeature]).toBeUndefined();
      const byId = new Map(d.brokers.map((b) => [b.id, b]));
      expect(byId.get(first.id)!.supportedFeatures[newFeature]).toBe(1);
      expect(byId.get(second.id)!.supportedFeatures[newFeature]).toBe(1);
      expect(byId.get(third.id)!.supportedFeatures[newFeature]).toBeUndefined();
      expect(byId.get(third.id)!.version).toBe(today);
    }
    await roll(third, nextMain, "moved");
    for (const d of await everyBrokerSees((d) => d.finalizedFeatures[newFeature] === 1)) {
      expect(d.finalizedFeatures).toEqual({ ...supportedFeatures, [newFeature]: 1 });
      expect(d.brokers.map((b) => b.version)).toEqual([`${today}-next`, `${today}-next`, `${today}-next`]);
    }
  });

  it("shows a broker in controlled shutdown as shutting_down; a second SIGTERM ends its wait", async () => {
    // The controller paused: the broker's request is seen but not acted on, so it waits
    // (it leads partitions, or is in ISRs the controller's partitions have) and the flag
    // stays visible. Resumed well within its lease.
    const controllerId = (await describeVia(cluster.brokers[0])).controllerId;
    const controller = cluster.broker(controllerId);
    const partitions = (await createClient(AdminService, controller.address).describeTopic({ name: topic }, { deadline: 2000 })).topic!.partitions;
    const led = (id: number) => partitions.filter((p) => p.leader === id).length;
    const [victim, observer] = cluster.brokers.filter((b) => b.id !== controllerId).sort((a, b) => led(b.id) - led(a.id));
    expect(led(controllerId) + led(victim.id)).toBeGreaterThan(0);
    controller.process.pause();
    try {
      victim.process.kill("SIGTERM");
      await expect
        .poll(async () => (await describeVia(observer)).brokers.find((b) => b.id === victim.id)?.shuttingDown, { timeout: 2_000, interval: 20 })
        .toBe(true);
      await victim.process.waitForLog((e) => e.msg === "controlled shutdown: registration marked shutting_down", 1000);
      victim.process.kill("SIGTERM");
      await victim.process.waitForLog((e) => e.msg === "controlled shutdown: cut short by a second signal; leaving now", 2000);
      expect(await victim.process.waitForExit()).toBe(0);
    } finally {
      controller.process.resume();
    }
    await victim.process.waitForLog((e) => e.msg === "clean-shutdown marker written", 1000);
    await victim.start();
    await fullIsr();
    const d = await describeVia(victim);
    expect(d.brokers.find((b) => b.id === victim.id)?.shuttingDown).toBe(false);
  });

  it("leaves without waiting when a live broker does not support controlled shutdown", async () => {
    // A build without features (every build before issue 17) joins: nothing is finalized.
    const [first, , third] = cluster.brokers;
    await roll(third, featurelessMain, "moved");
    await everyBrokerSees((d) => Object.keys(d.finalizedFeatures).length === 0);
    // A broker of the newer build gets SIGTERM: it does not wait for the controller.
    await roll(first, nextMain, "skipped");
  });
});
