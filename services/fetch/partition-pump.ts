import { OffsetOutOfRangeError } from "../errors.js";
import type { FetchData, Log } from "../log/index.js";
import type { PartitionTraffic } from "../metrics/index.js";
import { minReadBytes, ReadAbortedError, type Reservation, type StreamWriter } from "./stream-writer.js";
import { waitForRecords } from "./wait-for-records.js";
import { PartsMessage } from "../rpc/index.js";
import { WireWriter } from "../wire/index.js";

export interface PumpOptions {
  readonly topic: string;
  readonly partition: number;
  readonly log: Log;
  readonly start: bigint;
  readonly maxBytes: number;
  readonly writer: StreamWriter;
  /** Aborted when this partition must stop (stream ended, revoked, topic gone). */
  readonly signals: readonly AbortSignal[];
  /** This partition's traffic totals: records and bytes out added once per message written. */
  readonly traffic?: PartitionTraffic;
}

/**
 * Streams one partition from `start`: once the stream has room (StreamWriter.reserve),
 * reads what is there, writes it as one pre-encoded SubscribeResponse, otherwise waits for the log's high-watermark
 * event. Resolves when a signal aborts. If retention or DeleteRecords moves
 * the log start past the reader, it continues at the log start after an
 * `offset_reset` event (Kafka's auto.offset.reset=earliest for a live reader).
 * Resolves with the offset after the last record handed to the stream: a group
 * member's revocation needs no commit when that is not beyond the group's commit.
 */
export async function pumpPartition(options: PumpOptions): Promise<bigint> {
  const { topic, partition, log, maxBytes, writer, signals } = options;
  const traffic = options.traffic ?? { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 };
  const stopped = () => signals.some((s) => s.aborted);
  const topicBytes = Buffer.byteLength(topic);
  const signal = signals.length === 1 ? signals[0] : AbortSignal.any([...signals]);
  let next = options.start;
  const admitLargeRead = (reservation: Reservation) => (bytes: number) => writer.admitLargeRead(reservation, bytes, signal);
  while (!stopped()) {
    // Caught up (the usual state of a tailing reader after each send): wait for the next
    // record now, without reserving room and reading nothing first. That empty turn was
    // a reservation, a read and ~8 promises per record for a reader at the log end (issue
    // 15 §5). Offsets out of range still go through the read below, which resets them.
    if (next >= log.highWatermark && next <= log.logEndOffset && next >= log.logStartOffset) {
      await waitForRecords(log, next, Number.POSITIVE_INFINITY, signals);
      continue;
    }
    // Room first, then the read: a stream that cannot send holds no read buffer.
    const reservation = await writer.reserve(maxBytes, signal);
    if (reservation === null) {
      // Stopped, or the stream ended and its "cancelled"/"close" abort is on its way.
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      return next;
    }
    // Declared per turn and dropped before the next wait: a suspended pump must not
    // keep its last read buffer alive (hundreds of waiting pumps held gigabytes).
    let data: FetchData | undefined;
    try {
      data = await log.read(next, reservation.bytes, { admitLargeRead: admitLargeRead(reservation) });
    } catch (err) {
      writer.recycleLargeBuffers(reservation); // nothing points into them
      writer.unreserve(reservation);
      // The stream ended while the read waited for room: nothing was read; the next
      // reserve() sees the end.
      if (err instanceof ReadAbortedError) continue;
      if (err instanceof OffsetOutOfRangeError && next < log.logStartOffset) {
        const reset = log.logStartOffset;
        await writer.write(encodeOffsetReset(topic, partition, next, reset), signal);
        next = reset;
        continue;
      }
      if (err instanceof OffsetOutOfRangeError && next > log.logEndOffset) {
        // The log was truncated below the reader (Log.truncateTo): the records it read
        // from there on are gone; it continues at the truncation point.
        const reset = log.logEndOffset;
        await writer.write(encodeOffsetReset(topic, partition, next, reset, true), signal);
        next = reset;
        continue;
      }
      if (stopped()) return next; // the log closed under us: the topic went away
      throw err;
    }
    if (data.recordCount === 0) {
      writer.recycleLargeBuffers(reservation);
      writer.unreserve(reservation);
      // Compaction may have removed everything up to the high watermark: move past it.
      if (data.nextOffset > next) next = data.nextOffset;
      await waitForRecords(log, next, Number.POSITIVE_INFINITY, signals);
      continue;
    }
    next = data.nextOffset;
    traffic.recordsOut += data.recordCount;
    traffic.bytesOut += data.bytes;
    const { message, copied } = encodeRecords(data, topic, topicBytes, partition, log.epochForOffset(data.nextOffset - 1n));
    data = undefined;
    // Records copied out: the large-read buffers can serve the next large read. Otherwise
    // the message points into them and they are left to the garbage collector.
    if (copied) writer.recycleLargeBuffers(reservation);
    else reservation.largeBuffers.length = 0;
    writer.send(message, reservation);
  }
  return next;
}

// SubscribeResponse.records (1) = PartitionRecords { records = 1 (stored
// entries), topic = 2, partition = 3, high_watermark = 4, leader_epoch = 5 (the
// last record's, when known) }.
function encodeRecords(data: FetchData, topic: string, topicBytes: number, partition: number, epoch: number): { message: PartsMessage; copied: boolean } {
  const writer = new WireWriter(topicBytes + 40)
    .stringField(2, topic)
    .varintField(3, partition)
    .varintField(4, data.highWatermark);
  if (epoch >= 0) writer.varintField(5, epoch);
  const trailer = writer.finish();
  const innerLength = data.bytes + trailer.length;
  const header = new WireWriter(6).lengthPrefix(1, innerLength).finish();
  // Records cut from a stored batch much larger than the message: copy them out, so
  // that a message waiting for a slow reader holds its own bytes, not the whole read.
  const copied = data.readBytes > 2 * data.bytes + minReadBytes;
  const chunks = copied ? [Buffer.concat(data.chunks, data.bytes)] : data.chunks;
  return { message: new PartsMessage([header, ...chunks, trailer]), copied };
}

// SubscribeResponse.offset_reset (4) = OffsetReset { topic = 1, partition = 2,
// requested_offset = 3, reset_offset = 4, truncated = 5 }.
export function encodeOffsetReset(topic: string, partition: number, requested: bigint, reset: bigint, truncated = false): Buffer {
  const writer = new WireWriter(Buffer.byteLength(topic) + 44)
    .stringField(1, topic)
    .varintField(2, partition)
    .varintField(3, requested)
    .varintField(4, reset);
  if (truncated) writer.varintField(5, 1);
  const inner = writer.finish();
  const header = new WireWriter(6).lengthPrefix(4, inner.length).finish();
  return Buffer.concat([header, inner]);
}
