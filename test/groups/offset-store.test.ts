import { afterEach, describe, expect, it } from "vitest";
import { partitionForKey } from "../../services/partitioner/index.js";
import { OffsetStore, offsetsTopic } from "../../services/groups/index.js";
import { silentLogger, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

/** The ProducerRecord bytes of `__consumer_offsets` records as the store wrote them
 * before it used toBinary: key (field 3), then value (field 4) unless a tombstone. */
function handEncoded(key: string, value: string | null): Buffer {
  const field = (tag: number, data: Buffer) => {
    const length: number[] = [];
    let n = data.length;
    while (n > 0x7f) {
      length.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    length.push(n);
    return Buffer.concat([Buffer.from([tag, ...length]), data]);
  };
  const parts = [field(0x1a, Buffer.from(key))];
  if (value !== null) parts.push(field(0x22, Buffer.from(value)));
  return Buffer.concat(parts);
}

/** Each stored entry's producer bytes: after `0x0A <len> 0x09 <offset×8> 0x10 <appendTime>`. */
function producerBytes(entries: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < entries.length) {
    expect(entries[pos]).toBe(0x0a);
    let length = 0;
    let shift = 0;
    let b: number;
    pos++;
    do {
      b = entries[pos++]!;
      length |= (b & 0x7f) << shift;
      shift += 7;
    } while (b >= 0x80);
    const end = pos + length;
    pos += 9; // offset field
    expect(entries[pos]).toBe(0x10); // the append time: the store gives no timestamp
    pos++;
    while (entries[pos++]! >= 0x80);
    out.push(entries.subarray(pos, end));
    pos = end;
  }
  return out;
}

describe("OffsetStore", () => {
  let t: TestBroker | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("stores commits and tombstones in the byte format records written before toBinary have (existing data still loads)", async () => {
    t = await startTestBroker();
    const { offsets, topics } = t.broker;
    await offsets.commit("g", [{ topic: "orders", partition: 2, offset: 300n, metadata: "é" }], 1_700_000_000_000);
    await offsets.deleteGroup("g");
    const topic = topics.list(true).find((x) => x.name === offsetsTopic)!;
    const log = topic.logs[partitionForKey(Buffer.from("g"), topic.logs.length)]!;
    const data = await log.read(0n, 1 << 20);
    const key = JSON.stringify(["g", "orders", 2]);
    const value = JSON.stringify({ offset: "300", metadata: "é", commitTimeMs: 1_700_000_000_000 });
    expect(producerBytes(Buffer.concat(data.chunks))).toEqual([handEncoded(key, value), handEncoded(key, null)]);
  });

  it("in cluster mode loads one partition's groups up to an end offset, and drops them again", async () => {
    t = await startTestBroker();
    const { offsets, topics } = t.broker;
    const topic = topics.list(true).find((x) => x.name === offsetsTopic)!;
    const partitions = topic.logs.length;
    const groups = ["a", "b", "c", "d", "e", "f"];
    for (const [i, g] of groups.entries()) await offsets.commit(g, [{ topic: "orders", partition: 0, offset: BigInt(i), metadata: "" }], 1);
    const p = partitionForKey(Buffer.from("a"), partitions);
    const log = topic.logs[p]!;
    const endOffset = log.logEndOffset;
    // A later commit beyond the end offset of the load is not part of it.
    await offsets.commit("a", [{ topic: "orders", partition: 0, offset: 99n, metadata: "" }], 2);

    const appended: number[] = [];
    const store = OffsetStore.forCluster({ partitions: () => partitions, append: async (partition) => void appended.push(partition), logger: silentLogger });
    const records = await store.load(p, log, endOffset, new AbortController().signal);
    const inPartition = groups.filter((g) => partitionForKey(Buffer.from(g), partitions) === p);
    expect(records).toBe(inPartition.length);
    expect(store.groups().sort()).toEqual(inPartition);
    expect(store.get("a", "orders", 0)?.offset).toBe(0n);
    await store.commit("a", [{ topic: "orders", partition: 0, offset: 5n, metadata: "" }], 3);
    expect(appended).toEqual([p]);
    expect(store.get("a", "orders", 0)?.offset).toBe(5n);
    // A commit answered after the partition was given up leaves memory alone.
    await store.commit("a", [{ topic: "orders", partition: 0, offset: 6n, metadata: "" }], 4, () => false);
    expect(store.get("a", "orders", 0)?.offset).toBe(5n);
    expect(store.drop(p).sort()).toEqual(inPartition);
    expect(store.groups()).toEqual([]);
    await expect(store.load(p, log, endOffset, AbortSignal.abort(new Error("deposed")))).rejects.toThrow("deposed");
  });
});
