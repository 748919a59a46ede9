import { status } from "@grpc/grpc-js";
import { mkdir, readdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

/** NAME_MAX (255) minus the longest suffix the broker adds to a name: `.json.tmp`. */
const longestName = 255 - ".json.tmp".length;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
}

/**
 * Issue 14 finding 8: a 247..249-character name passed validation, but its
 * `<name>.json.tmp` was longer than a file name may be: CreateTopic answered
 * INTERNAL, the topic was live anyway and acknowledged writes, and a restart
 * removed its partitions as orphans.
 */
describe("topic names and file names", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker({ maxPartitionsPerTopic: 100_000 });
  });
  afterEach(async () => {
    await t.close();
  });

  const partitionDirs = async (name: string) =>
    (await readdir(t.dataDir)).filter((d) => d.startsWith(`${name}-`) && /^\d+$/.test(d.slice(name.length + 1)));
  const topicNames = async () => (await t.admin.listTopics({})).topics.map((x) => x.name);

  it("keeps a topic whose name is as long as every file allows: create, produce, restart, read back", async () => {
    const name = "n".repeat(longestName);
    await t.admin.createTopic({ name, partitions: 2 });
    // The highest partition number a topic may have still makes a legal directory name.
    await t.admin.createPartitions({ name, totalCount: 3 });
    await t.produce.produce({ topic: name, partition: 2, records: [{ value: bytes("kept") }] });
    await t.restart();
    expect(await topicNames()).toEqual([name]);
    const fetched = await t.fetch.fetch({ topic: name, partition: 2, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["kept"]);
    expect((await partitionDirs(name)).sort()).toEqual([`${name}-0`, `${name}-1`, `${name}-2`]);
  });

  it.each([longestName + 1, 249, 250])("refuses a %i-character name with INVALID_TOPIC_NAME and leaves nothing", async (length) => {
    const name = "n".repeat(length);
    const err = await failure(t.admin.createTopic({ name, partitions: 1 }));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(errorReason(err)).toBe("INVALID_TOPIC_NAME");
    const produced = await failure(t.produce.produce({ topic: name, records: [{ value: bytes("x") }] }));
    expect(produced).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await topicNames()).toEqual([]);
    expect(await partitionDirs(name)).toEqual([]);
  });

  it("leaves nothing live and nothing on disk when the metadata of a new topic cannot be written", async () => {
    // The metadata's temporary file cannot be created: a directory is in its place.
    const obstacle = join(t.dataDir, "meta", "topics", "victim.json.tmp");
    await mkdir(obstacle);
    const err = await failure(t.admin.createTopic({ name: "victim", partitions: 3 }));
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(errorReason(err)).toBe("STORAGE_ERROR");
    expect(await topicNames()).toEqual([]);
    const produced = await failure(t.produce.produce({ topic: "victim", records: [{ value: bytes("lost?") }] }));
    expect(produced).toMatchObject({ code: status.NOT_FOUND });
    expect(errorReason(produced)).toBe("UNKNOWN_TOPIC");
    expect(await partitionDirs("victim")).toEqual([]);

    await rmdir(obstacle);
    await t.admin.createTopic({ name: "victim", partitions: 1 });
    await t.produce.produce({ topic: "victim", records: [{ value: bytes("first") }] });
    await t.restart();
    const fetched = await t.fetch.fetch({ topic: "victim", partition: 0, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["first"]);
    expect(await readdir(join(t.dataDir, "meta", "topics"))).not.toContain("victim.json.tmp");
  });

  it("adds no partition when the new partition count cannot be written", async () => {
    await t.admin.createTopic({ name: "grow", partitions: 1 });
    await mkdir(join(t.dataDir, "meta", "topics", "grow.json.tmp"));
    const err = await failure(t.admin.createPartitions({ name: "grow", totalCount: 4 }));
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(errorReason(err)).toBe("STORAGE_ERROR");
    expect((await t.admin.describeTopic({ name: "grow" })).topic?.partitions).toHaveLength(1);
    const produced = await failure(t.produce.produce({ topic: "grow", partition: 3, records: [{ value: bytes("x") }] }));
    expect(errorReason(produced)).toBe("UNKNOWN_PARTITION");
    // Keyless records go round-robin over the partitions: none may reach a phantom one.
    for (let i = 0; i < 4; i++) {
      const answer = await t.produce.produce({ topic: "grow", records: [{ value: bytes(`r${i}`) }] });
      expect(answer.results.map((r) => r.partition)).toEqual([0]);
    }
    expect(await partitionDirs("grow")).toEqual(["grow-0"]);
  });
});
