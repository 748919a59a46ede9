import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ProduceResponseSchema } from "../../gen/ts/tributary/v1/produce_pb.js";
import { WireWriter } from "../wire/index.js";

type ProduceResponseInit = MessageInitShape<typeof ProduceResponseSchema>;

/**
 * A ProduceStream answer with a response, encoded at the wire level: its
 * request_index (1) and the ProduceResponse (2) the handler made. protobuf-es's
 * create and toBinary of the same answer were about 8% of the broker's CPU per
 * request on a stream of one-record requests (cpu-prof, issue 15 §5); errors,
 * rare, still go through protobuf-es. test/produce/produce-answer.test.ts
 * compares the bytes with protobuf-es's.
 *
 *   ProduceStreamResponse  { uint64 request_index = 1; ProduceResponse response = 2; }
 *   ProduceResponse        { repeated ProducePartitionResult results = 1; }
 *   ProducePartitionResult { int32 partition = 1; int64 base_offset = 2; int32 record_count = 3;
 *                            int64 log_append_time_ms = 4; bool duplicate = 5;
 *                            repeated uint32 record_indexes = 6 (packed); }
 */
export function encodeProduceStreamAnswer(index: bigint, response: ProduceResponseInit): Buffer {
  const results = (response.results ?? []).map((result) => {
    const indexes = result.recordIndexes ?? [];
    const w = new WireWriter(48 + 5 * indexes.length);
    if (result.partition) w.int64Field(1, BigInt(result.partition));
    if (result.baseOffset) w.int64Field(2, BigInt(result.baseOffset));
    if (result.recordCount) w.int64Field(3, BigInt(result.recordCount));
    if (result.logAppendTimeMs) w.int64Field(4, BigInt(result.logAppendTimeMs));
    if (result.duplicate) w.varintField(5, 1);
    if (indexes.length > 0) {
      const packed = new WireWriter(5 * indexes.length);
      for (const i of indexes) packed.varint(i);
      const bytes = packed.finish();
      w.lengthPrefix(6, bytes.length);
      return Buffer.concat([w.finish(), bytes]);
    }
    return w.finish();
  });
  let inner = 0;
  for (const r of results) inner += 1 + varintBytes(r.length) + r.length;
  const head = new WireWriter(24 + 6 * results.length);
  if (index !== 0n) head.varintField(1, index);
  head.lengthPrefix(2, inner);
  const parts: Buffer[] = [head.finish()];
  for (const r of results) parts.push(new WireWriter(6).lengthPrefix(1, r.length).finish(), r);
  return Buffer.concat(parts);
}

function varintBytes(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}
