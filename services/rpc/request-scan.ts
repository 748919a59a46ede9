import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { WireReader } from "../wire/index.js";
import { malformedRequest, TributaryError } from "../errors.js";

/** Nesting deeper than this is refused; the API's requests nest two levels. */
const maxDepth = 16;

/**
 * Walks a request's bytes against its schema before protobuf-es decodes them,
 * allocating nothing per field (issue 14, findings 1 and 2):
 *
 * - every tag is one the spec allows (WireReader.tag: at most 5 bytes, field
 *   number 1..2^29-1), so protobuf-es, which reads a 6-byte tag as some other
 *   field, never sees one;
 * - a known field has its declared wire type, and a singular field (or one
 *   case of a oneof) appears at most once per message: protobuf's "last one
 *   wins" is how a second name slips past a check that read the first;
 * - the elements of repeated fields, at every depth, number at most
 *   `maxElements`, so that decoding allocates in proportion to what a method
 *   may legitimately carry (a 1 MiB Commit of empty entries is half a million
 *   objects otherwise).
 *
 * Unknown fields are only skipped: the decoder drops them too
 * (`readUnknownFields: false`). Throws InvalidArgumentError MALFORMED_REQUEST
 * or, past `maxElements`, RESOURCE_EXHAUSTED REQUEST_TOO_LARGE.
 */
export function scanRequest(schema: DescMessage, bytes: Buffer, maxElements: number): void {
  const budget = { left: maxElements, max: maxElements };
  scanMessage(schema, new WireReader(bytes, 0, bytes.length, malformedRequest), bytes.length, budget, 0);
}

interface Budget {
  left: number;
  readonly max: number;
}

function scanMessage(schema: DescMessage, reader: WireReader, end: number, budget: Budget, depth: number): void {
  if (depth > maxDepth) throw malformedRequest(`messages nested deeper than ${maxDepth}`);
  const fields = fieldsOf(schema);
  let seen = 0;
  let seenHigh: Set<number> | undefined;
  while (reader.pos < end) {
    const tag = reader.tag();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = fields.get(number);
    if (field === undefined) {
      reader.skip(wireType);
      if (reader.pos > end) throw malformedRequest("field exceeds its message");
      continue;
    }
    if (field.fieldKind === "list") {
      scanListElement(field, reader, end, wireType, budget, depth);
      continue;
    }
    // One slot per singular field, one per oneof (any of its cases).
    const slot = field.oneof === undefined ? number : field.oneof.fields[0]!.number;
    if (slot < 31) {
      if (seen & (1 << slot)) throw malformedRequest(`field ${field.name} appears twice`);
      seen |= 1 << slot;
    } else {
      seenHigh ??= new Set();
      if (seenHigh.has(slot)) throw malformedRequest(`field ${field.name} appears twice`);
      seenHigh.add(slot);
    }
    if (field.fieldKind === "message") {
      expectWireType(field, wireType, WireType.LengthDelimited);
      const fieldEnd = delimited(reader, end);
      scanMessage(field.message, reader, fieldEnd, budget, depth + 1);
    } else if (field.fieldKind === "map") {
      // No request of this API has a map; skipping one keeps the walk general.
      expectWireType(field, wireType, WireType.LengthDelimited);
      take(budget, 1);
      reader.pos = delimited(reader, end);
    } else {
      expectWireType(field, wireType, scalarWireType(field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar));
      skipValue(reader, wireType, end);
    }
  }
  if (reader.pos !== end) throw malformedRequest("field exceeds its message");
}

/** One occurrence of a repeated field: a message, a scalar, or a packed run of scalars. */
function scanListElement(
  field: DescField & { fieldKind: "list" },
  reader: WireReader,
  end: number,
  wireType: number,
  budget: Budget,
  depth: number,
): void {
  if (field.listKind === "message") {
    expectWireType(field, wireType, WireType.LengthDelimited);
    take(budget, 1);
    const fieldEnd = delimited(reader, end);
    scanMessage(field.message, reader, fieldEnd, budget, depth + 1);
    return;
  }
  const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
  const element = scalarWireType(scalar);
  if (wireType === WireType.LengthDelimited && element !== WireType.LengthDelimited) {
    // Packed: count the elements without decoding them.
    const fieldEnd = delimited(reader, end);
    const buf = reader.buf;
    let count: number;
    if (element === WireType.Varint) {
      count = 0;
      for (let i = reader.pos; i < fieldEnd; i++) if (buf[i]! < 0x80) count++;
      if (fieldEnd > reader.pos && buf[fieldEnd - 1]! >= 0x80) throw malformedRequest(`packed field ${field.name} ends mid-varint`);
    } else {
      const size = element === WireType.Bit32 ? 4 : 8;
      if ((fieldEnd - reader.pos) % size !== 0) throw malformedRequest(`packed field ${field.name} has a partial element`);
      count = (fieldEnd - reader.pos) / size;
    }
    take(budget, count);
    reader.pos = fieldEnd;
    return;
  }
  expectWireType(field, wireType, element);
  take(budget, 1);
  skipValue(reader, wireType, end);
}

function take(budget: Budget, count: number): void {
  budget.left -= count;
  if (budget.left < 0) {
    throw new TributaryError(
      "exhausted",
      "REQUEST_TOO_LARGE",
      `the request has more than ${budget.max} elements in repeated fields; split it`,
    );
  }
}

function delimited(reader: WireReader, end: number): number {
  const fieldEnd = reader.lengthDelimited();
  if (fieldEnd > end) throw malformedRequest("field exceeds its message");
  return fieldEnd;
}

function skipValue(reader: WireReader, wireType: number, end: number): void {
  reader.skip(wireType);
  if (reader.pos > end) throw malformedRequest("field exceeds its message");
}

function expectWireType(field: DescField, actual: number, expected: number): void {
  if (actual !== expected) throw malformedRequest(`field ${field.name} has wire type ${actual}`);
}

/** The wire type protobuf encodes a scalar (one element of a repeated one) with. */
function scalarWireType(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

const fieldsByNumber = new WeakMap<DescMessage, ReadonlyMap<number, DescField>>();

function fieldsOf(schema: DescMessage): ReadonlyMap<number, DescField> {
  let fields = fieldsByNumber.get(schema);
  if (fields === undefined) {
    fields = new Map(schema.fields.map((f) => [f.number, f]));
    fieldsByNumber.set(schema, fields);
  }
  return fields;
}
