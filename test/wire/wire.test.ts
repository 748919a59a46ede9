import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import {
  readVarintAt,
  varint64Size,
  varintSize,
  WireFormatError,
  WireReader,
  WireWriter,
  writeVarint,
  writeVarint64,
} from "../../services/wire/index.js";

// A deterministic generator, so a failure names its seed (as test/log's model tests do).
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Safe integers spread over every varint length: 0..2^53 - 1. */
function safeIntegers(seed: number, n: number): number[] {
  const rand = random(seed);
  const out = [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, Number.MAX_SAFE_INTEGER];
  for (let i = 0; i < n; i++) out.push(Math.floor(2 ** Math.floor(rand() * 54) * rand()));
  return out;
}

function bufbufVarint(value: number | bigint): Uint8Array {
  return new BinaryWriter().uint64(value).finish();
}

describe("varint primitives", () => {
  it("write and size non-negative safe integers as @bufbuild/protobuf/wire does", () => {
    const buf = Buffer.alloc(10);
    for (const value of safeIntegers(1, 2000)) {
      const expected = bufbufVarint(value);
      const end = writeVarint(buf, value, 0);
      expect([...buf.subarray(0, end)], `value ${value}`).toEqual([...expected]);
      expect(varintSize(value)).toBe(expected.length);
    }
  });

  it("write int64 values of any sign as protobuf's two's complement", () => {
    const rand = random(2);
    const values = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0xffffffffn, 0x100000000n];
    for (let i = 0; i < 2000; i++) {
      const magnitude = BigInt(Math.floor(rand() * 2 ** 53)) << BigInt(Math.floor(rand() * 11));
      values.push(rand() < 0.5 ? -magnitude : BigInt.asIntN(64, magnitude));
    }
    const buf = Buffer.alloc(10);
    for (const value of values) {
      const expected = new BinaryWriter().int64(value).finish();
      const end = writeVarint64(buf, value, 0);
      expect([...buf.subarray(0, end)], `value ${value}`).toEqual([...expected]);
      expect(varint64Size(value)).toBe(expected.length);
    }
  });

  it("read back what they write, and answer false on a truncated varint", () => {
    const buf = Buffer.alloc(10);
    const out = { value: 0, next: 0 };
    for (const value of safeIntegers(3, 1000)) {
      const end = writeVarint(buf, value, 0);
      expect(readVarintAt(buf, 0, end, out)).toBe(true);
      expect(out).toEqual({ value, next: end });
      if (end > 1) expect(readVarintAt(buf, 0, end - 1, out)).toBe(false);
    }
  });
});

describe("WireReader", () => {
  it("reads what BinaryWriter writes: tags, uint32, int64 and length-delimited fields", () => {
    const rand = random(4);
    const w = new BinaryWriter();
    const expected: Array<[number, number | bigint | string]> = [];
    for (let i = 0; i < 500; i++) {
      const field = 1 + Math.floor(rand() * 2 ** Math.floor(rand() * 29));
      const kind = Math.floor(rand() * 3);
      if (kind === 0) {
        const v = Math.floor(rand() * 2 ** 32);
        w.tag(field, WireType.Varint).uint32(v);
        expected.push([field, v]);
      } else if (kind === 1) {
        const v = BigInt.asIntN(64, BigInt(Math.floor(rand() * 2 ** 53)) * (rand() < 0.5 ? -1n : 1n) << 8n);
        w.tag(field, WireType.Varint).int64(v);
        expected.push([field, v]);
      } else {
        const v = "x".repeat(Math.floor(rand() * 300));
        w.tag(field, WireType.LengthDelimited).string(v);
        expected.push([field, v]);
      }
    }
    const bytes = Buffer.from(w.finish());
    const r = new WireReader(bytes);
    for (const [field, value] of expected) {
      const tag = r.tag();
      expect(tag >>> 3).toBe(field);
      if (typeof value === "number") expect(r.uint32()).toBe(value);
      else if (typeof value === "bigint") expect(r.int64()).toBe(value);
      else {
        const end = r.lengthDelimited();
        expect(bytes.toString("utf8", r.pos, end)).toBe(value);
        r.pos = end;
      }
    }
    expect(r.done).toBe(true);
  });

  it("throws WireFormatError by default, and the caller's error when given one", () => {
    const truncated = Buffer.from([0x08, 0x80]);
    const r = new WireReader(truncated);
    r.tag();
    expect(() => r.uint32()).toThrow(WireFormatError);
    class Mine extends Error {}
    const mine = new WireReader(truncated, 0, truncated.length, (detail) => new Mine(detail));
    mine.tag();
    expect(() => mine.uint32()).toThrow(Mine);
    expect(() => new WireReader(Buffer.from([0x00])).tag()).toThrow(WireFormatError);
  });
});

describe("WireWriter", () => {
  it("writes the fields BinaryWriter writes for the same values", () => {
    const rand = random(5);
    for (let i = 0; i < 300; i++) {
      const u = Math.floor(rand() * 2 ** Math.floor(rand() * 53));
      const s = BigInt.asIntN(64, BigInt(Math.floor(rand() * 2 ** 53)) * (rand() < 0.5 ? -1n : 1n));
      const text = "é".repeat(Math.floor(rand() * 40));
      const ours = new WireWriter(200).varintField(2, u).int64Field(3, s).stringField(4, text).lengthPrefix(5, u % 1000).finish();
      const ref = new BinaryWriter()
        .tag(2, WireType.Varint)
        .uint64(u)
        .tag(3, WireType.Varint)
        .int64(s)
        .tag(4, WireType.LengthDelimited)
        .string(text)
        .tag(5, WireType.LengthDelimited)
        .uint32(u % 1000)
        .finish();
      expect([...ours]).toEqual([...ref]);
    }
  });
});
