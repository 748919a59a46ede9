/**
 * Micro-benchmark behind services/wire's choice (issue 15, "Name things once"): our
 * WireReader/WireWriter against `@bufbuild/protobuf/wire`'s BinaryReader/BinaryWriter
 * on the two hot paths, the produce parse (walk a request's records, tags and lengths
 * only) and the fetch write (a response's trailer of scalar fields), plus the shared
 * writeVarint against the loop it replaced in the log's record entries.
 *
 *   node --import tsx scripts/bench/wire-micro.ts [rounds]
 *
 * Each round times every contender once, interleaved, so a loaded machine slows all of
 * them alike: compare the ratios within a run, not figures across runs.
 *
 * A helper fast here can still be slower inside a large per-record loop (inlining
 * budgets): writeVarint beats the inline loop here, yet writeRecordEntries measured
 * ~20% slower calling it, so that loop keeps its own (docs/PERFORMANCE.md). Check a
 * change of a per-record loop with an A/B of the loop itself.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { WireReader, WireWriter, writeVarint } from "../../services/wire/index.js";

const records = 1000;

function produceRequest(): Buffer {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).string("orders");
  for (let i = 0; i < records; i++) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(2, WireType.Varint).int64(1_765_000_000_000 + i);
    w.tag(3, WireType.LengthDelimited).bytes(Buffer.alloc(16, i));
    w.tag(4, WireType.LengthDelimited).bytes(Buffer.alloc(100, i));
    w.tag(5, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string("trace").tag(2, WireType.LengthDelimited).bytes(Buffer.alloc(8)).join();
    w.join();
  }
  w.tag(4, WireType.Varint).int32(1);
  return Buffer.from(w.finish());
}

/** The produce parser's walk: per record its span, timestamp and key span. */
function walkOurs(buf: Buffer): number {
  const r = new WireReader(buf);
  let sum = 0;
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x1a) {
      const end = r.lengthDelimited();
      while (r.pos < end) {
        const t = r.tag();
        if (t === 0x10) sum += r.uint53();
        else if (t === 0x1a) {
          const keyEnd = r.lengthDelimited();
          sum += keyEnd - r.pos;
          r.pos = keyEnd;
        } else r.skip(t & 7);
      }
    } else r.skip(tag & 7);
  }
  return sum;
}

function walkBufbuild(buf: Buffer): number {
  const r = new BinaryReader(buf);
  let sum = 0;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 3 && wireType === WireType.LengthDelimited) {
      const end = r.uint32() + r.pos;
      while (r.pos < end) {
        const [f, wt] = r.tag();
        if (f === 2) sum += Number(r.int64());
        else if (f === 3) {
          const length = r.uint32();
          sum += length;
          r.pos += length;
        } else r.skip(wt);
      }
    } else r.skip(wireType);
  }
  return sum;
}

function trailerOurs(hw: bigint, start: bigint, next: bigint): number {
  return new WireWriter(40).varintField(2, hw).varintField(3, start).varintField(4, next).varintField(5, 7).finish().length;
}

function trailerBufbuild(hw: bigint, start: bigint, next: bigint): number {
  return new BinaryWriter()
    .tag(2, WireType.Varint)
    .int64(hw)
    .tag(3, WireType.Varint)
    .int64(start)
    .tag(4, WireType.Varint)
    .int64(next)
    .tag(5, WireType.Varint)
    .int32(7)
    .finish().length;
}

const scratch = Buffer.alloc(16);
function lengthsShared(n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = writeVarint(scratch, 100 + (i & 0x3fff), 0);
  return at;
}
function lengthsInline(n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) {
    at = 0;
    let body = 100 + (i & 0x3fff);
    while (body >= 0x80) {
      scratch[at++] = (body & 0x7f) | 0x80;
      body >>>= 7;
    }
    scratch[at++] = body;
  }
  return at;
}

function time(fn: () => number, iterations: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += fn();
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  if (sink === -1) console.log(sink);
  return ns;
}

const rounds = Number(process.argv[2] ?? 5);
const request = produceRequest();
const cases: Array<[string, () => number, number, number]> = [
  ["produce walk, ns/record: WireReader", () => walkOurs(request), 300, records],
  ["produce walk, ns/record: BinaryReader", () => walkBufbuild(request), 300, records],
  ["fetch trailer, ns: WireWriter", () => trailerOurs(123456789n, 1000n, 123456790n), 300_000, 1],
  ["fetch trailer, ns: BinaryWriter", () => trailerBufbuild(123456789n, 1000n, 123456790n), 300_000, 1],
  ["entry length varint, ns: writeVarint", () => lengthsShared(1000), 3000, 1000],
  ["entry length varint, ns: inline loop", () => lengthsInline(1000), 3000, 1000],
];
for (const [, fn, n] of cases) time(fn, Math.ceil(n / 10)); // warm-up
const results = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const [name, fn, n, per] of cases) {
    const list = results.get(name) ?? [];
    list.push(time(fn, n) / per);
    results.set(name, list);
  }
}
for (const [name, list] of results) {
  const sorted = [...list].sort((a, b) => a - b);
  console.log(`${name.padEnd(42)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1).padStart(7)}  (${sorted.map((v) => v.toFixed(1)).join(" ")})`);
}
