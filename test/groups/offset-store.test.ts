import { afterEach, describe, expect, it } from "vitest";
import { partitionForKey } from "../../services/partitioner/index.js";
import { offsetsTopic } from "../../services/groups/index.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

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
});
