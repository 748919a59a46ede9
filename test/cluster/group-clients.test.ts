import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Acks, Consumer, Producer, createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";

const exec = promisify(execFile);
const python = "/usr/bin/python3";
const go = "/usr/bin/go";
const repo = fileURLToPath(new URL("../../", import.meta.url));
const goPackage = "tributary.dev/gen/go/tributary/v1";
const topic = "orders";
const partitions = 6;
const groupId = "mixed";
const recordCount = 60;

/** What a clients/<lang> group member printed: its JSON event lines, as they come. */
interface Member {
  readonly name: string;
  readonly process: ChildProcess;
  readonly events: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  /** The partitions of its last assignment, and that assignment's generation. */
  assignment(): { generation: number; partitions: number[] } | undefined;
  values(): string[];
  coordinator(): { address: string; askedAt: string } | undefined;
}

function spawnMember(name: string, command: string, args: string[]): Member {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  const events: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => events.push(JSON.parse(line) as Record<string, unknown>));
  createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  exited.then((code) => {
    if (code !== 0) console.error(`${name} exited with ${code}:\n${stderr.join("\n")}`);
  });
  const last = (kind: string) => events.filter((e) => e.event === kind).at(-1);
  return {
    name,
    process: child,
    events,
    exited,
    assignment() {
      const a = last("assignment");
      return a === undefined ? undefined : { generation: a.generation as number, partitions: a.partitions as number[] };
    },
    values: () => events.filter((e) => e.event === "records").flatMap((e) => e.values as string[]),
    coordinator: () => last("coordinator") as { address: string; askedAt: string } | undefined,
  };
}

/**
 * Issue 17: Python and Go group members over the generated stubs (clients/python/
 * group_member.py, clients/go/group-member) and a TypeScript Consumer join one group
 * on a three-broker cluster. Each is given only a broker that is not the group's
 * coordinator: they find it with FindCoordinator, get disjoint assignments of the
 * topic's six partitions, read every record once between them and commit it.
 */
describe("Python, Go and TypeScript members of one group in a cluster", () => {
  let cluster: TestCluster;
  let buildDir: string;
  let goMember: string;
  beforeAll(async () => {
    expect(existsSync(python), "Debian's /usr/bin/python3 with python3-grpcio (run scripts/setup.mjs)").toBe(true);
    expect(existsSync(go), "Debian's golang-go and golang-google-grpc-dev (run scripts/setup.mjs)").toBe(true);
    // Built in GOPATH mode against Debian's grpc-go, as test/e2e/clients-go.test.ts does.
    buildDir = await mkdtemp(join(tmpdir(), "tributary-go-member-"));
    const packageDir = join(buildDir, "src", goPackage);
    await mkdir(packageDir, { recursive: true });
    await cp(join(repo, "gen/go/tributary/v1"), packageDir, { recursive: true });
    goMember = join(buildDir, "group-member");
    const built = exec(go, ["build", "-o", goMember, join(repo, "clients/go/group-member/main.go")], {
      timeout: 150_000,
      env: { ...process.env, GO111MODULE: "off", GOPATH: `${buildDir}:/usr/share/gocode`, GOCACHE: join(buildDir, "cache"), GOFLAGS: "" },
    });
    built.catch(() => undefined); // awaited below, after the cluster has started meanwhile
    cluster = await startCluster({ brokers: 3, config: { offsetsTopicReplicationFactor: 3, rebalanceTimeoutMs: 5_000 } });
    await createClusterTopic(cluster, topic, partitions, 2);
    await built;
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  it("find the coordinator through another broker, get disjoint assignments, read every record once and commit it", async () => {
    const admin = createClient(AdminService, cluster.bootstrap[0]);
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL });
    const members: Member[] = [];
    try {
      const values = Array.from({ length: recordCount }, (_, i) => `value-${i}`);
      await Promise.all(values.map((value, i) => producer.send({ topic, partition: i % partitions, value })));
      const coordinator = await vi.waitFor(() => admin.findCoordinator({ groupId }, { deadline: 1_000 }), { timeout: 20_000, interval: 100 });
      const other = cluster.brokers.find((b) => b.id !== coordinator.brokerId)!.address;

      members.push(spawnMember("python", python, [join(repo, "clients/python/group_member.py"), other, groupId, topic]));
      members.push(spawnMember("go", goMember, [other, groupId, topic]));
      const consumer = new Consumer({ broker: other, groupId, topics: [topic], from: "earliest", autoCommitIntervalMs: 100 });
      const tsValues: string[] = [];
      const tsLoop = (async () => {
        for await (const r of consumer) tsValues.push(Buffer.from(r.value).toString("utf8"));
      })();

      try {
        // Three members of one generation, owning two partitions each, none twice.
        await vi.waitFor(
          () => {
            const assignments = [...members.map((m) => m.assignment()), { generation: consumer.generation, partitions: consumer.assignment.map((p) => p.partition) }];
            expect(new Set(assignments.map((a) => a?.generation)).size).toBe(1);
            expect(assignments.map((a) => a?.partitions.length)).toEqual([2, 2, 2]);
            expect(new Set(assignments.flatMap((a) => a!.partitions)).size).toBe(partitions);
          },
          { timeout: 30_000, interval: 50 },
        );
        for (const m of members) expect(m.coordinator()).toEqual(expect.objectContaining({ address: coordinator.address, askedAt: other }));

        // Every record read once across the three (no member died, rebalances cause no duplicates).
        await vi.waitFor(() => expect([...members.flatMap((m) => m.values()), ...tsValues].sort()).toEqual([...values].sort()), { timeout: 30_000, interval: 50 });
      } finally {
        await consumer.close(); // commits what it read and leaves
        await tsLoop;
      }
      for (const m of members) m.process.stdin!.end(); // each commits as it reads; closing stdin leaves
      expect(await Promise.all(members.map((m) => m.exited))).toEqual([0, 0]);

      // The coordinator holds every partition's commit at its log end, and the group is empty.
      const commits = createClient(CommitService, coordinator.address);
      const { offsets } = await commits.fetchCommitted({ groupId, topic });
      commits.close();
      expect(offsets.map((o) => [o.partition, Number(o.offset)]).sort((a, b) => a[0] - b[0])).toEqual(
        Array.from({ length: partitions }, (_, p) => [p, recordCount / partitions]),
      );
      const atCoordinator = createClient(AdminService, coordinator.address);
      await vi.waitFor(async () => expect((await atCoordinator.describeGroup({ groupId })).members).toEqual([]), { timeout: 10_000, interval: 100 });
      atCoordinator.close();
    } finally {
      for (const m of members) m.process.kill("SIGKILL");
      await Promise.all(members.map((m) => m.exited));
      await producer.close();
      admin.close();
    }
  });
});
