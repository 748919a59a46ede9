export { varint64Size, varintSize, readVarintAt, writeVarint, writeVarint64, type VarintRead } from "./varint.js";
export { maxFieldNumber, WireFormatError, WireReader } from "./wire-reader.js";
export { WireWriter } from "./wire-writer.js";
