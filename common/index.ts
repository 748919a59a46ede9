export { murmur2, partitionForKey } from "./partitioner.js";
export {
  maxFieldNumber,
  readVarintAt,
  varint64Size,
  varintSize,
  WireFormatError,
  WireReader,
  WireWriter,
  writeVarint,
  writeVarint64,
  type VarintRead,
} from "./wire/index.js";
