import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { Producer } from "../../clients/ts/producer.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { HistoryChecker } from "../helpers/history-checker.js";

const topic = "steady";
const partitions = 3;

/** etcd's Maintenance.Status through its JSON gateway: this member's id and the leader's. */
async function etcdStatus(clientUrl: string): Promise<{ memberId: string; leader: string }> {
  const response = await fetch(`${clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}", signal: AbortSignal.timeout(1000) });
  const body = (await response.json()) as { header: { member_id: string }; leader: string };
  return { memberId: body.header.member_id, leader: body.leader };
}

/**
 * CLUSTER.md section 6: "an etcd member (of three) killed". The brokers know every
 * member's endpoint; when the etcd leader is killed (-9), etcd elects another within
 * about a second and the brokers' keep-alives, watches and writes move to a live
 * member. acks=ALL producing carries on throughout: nothing acknowledged is lost or
 * duplicated (history checker), and it makes progress while the member is down.
 */
describe("an etcd member killed under load", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, etcdMembers: 3 });
    await createClusterTopic(cluster, topic, partitions);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("does not stop acks=ALL producing, and loses nothing", async () => {
    // Every broker was given every member's endpoint (test/helpers/cluster.ts, no etcd proxy).
    const checker = new HistoryChecker();
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL, lingerMs: 1, deliveryTimeoutMs: 20_000 });
    let running = true;
    let sent = 0;
    const acked = () => checker.check().produces.acked;
    const writers = Array.from({ length: partitions }, async (_, partition) => {
      while (running) {
        const attempt = checker.produce(`p${partition}-${sent++}`, partition);
        try {
          attempt.acked((await producer.send({ topic, partition, value: `p${partition}-${sent - 1}` })).offset);
        } catch {
          attempt.unknown();
        }
      }
    });
    const progress = async (more: number) => {
      const target = acked() + more;
      await expect.poll(acked, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(target);
    };
    try {
      await progress(50);

      // The etcd leader, asked of the members themselves.
      const statuses = await Promise.all(cluster.etcd.members.map((m) => etcdStatus(m.clientUrl)));
      const leaderIndex = statuses.findIndex((s) => s.memberId === s.leader && s.leader !== "0");
      expect(leaderIndex).toBeGreaterThanOrEqual(0);
      const victim = cluster.etcd.members[leaderIndex];
      victim.kill("SIGKILL");
      const killedAt = Date.now();
      // A new etcd leader among the other two.
      const others = cluster.etcd.members.filter((m) => m !== victim);
      await expect
        .poll(async () => (await Promise.all(others.map((m) => etcdStatus(m.clientUrl).catch(() => undefined)))).every((s) => s !== undefined && s.leader !== "0" && s.leader !== statuses[leaderIndex].memberId), {
          timeout: 10_000,
          interval: 100,
        })
        .toBe(true);
      await progress(100);
      const downForMs = Date.now() - killedAt;

      await victim.restart();
      await progress(50);
      running = false;
      await Promise.all(writers);
      expect(downForMs).toBeGreaterThan(0);

      // Final read of every partition from its leader.
      const described = (await createClient(AdminService, cluster.bootstrap[0]).describeTopic({ name: topic })).topic!;
      for (const p of described.partitions) {
        const fetch = createClient(FetchService, cluster.broker(p.leader).address);
        const records: Array<{ offset: bigint; value: string }> = [];
        let offset = 0n;
        while (offset < p.highWatermark) {
          const answer = await fetch.fetch({ topic, partition: p.partition, offset });
          for (const r of answer.records) records.push({ offset: r.offset, value: Buffer.from(r.value).toString() });
          if (answer.nextOffset <= offset) break;
          offset = answer.nextOffset;
        }
        checker.finalRead(p.partition, records);
      }
      const report = checker.check();
      console.log(checker.formatTable(report));
      expect(report.lostWrite.examples).toEqual([]);
      expect(report.duplicate.examples).toEqual([]);
      expect(report.inconsistentOffsets.examples).toEqual([]);
      expect(report.uncheckedPartitions).toEqual([]);
      // No delivery gave up: producing never stopped for a whole delivery timeout.
      expect(report.produces.unknown).toBe(0);
    } finally {
      running = false;
      await Promise.all(writers);
      await producer.close();
    }
  });
});
