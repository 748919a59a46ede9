// Fixed-rate sending for latency runs: every ~1 ms tick, the records due so far
// are handed to `send` (one request, pipeline or flush per tick). Each record
// carries its send time (performance.now(), float64 little-endian) in its first
// 8 bytes; the reader, in the same process, subtracts it from its receive time.

export async function paced(rate: number, seconds: number, send: (count: number) => void): Promise<void> {
  const start = performance.now();
  const total = Math.floor(rate * seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    if (due > sent) {
      send(due - sent);
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

export function stamp(valueBytes: number): Uint8Array {
  const value = new Uint8Array(Math.max(8, valueBytes));
  new DataView(value.buffer).setFloat64(0, performance.now(), true);
  return value;
}
export function readStamp(value: Uint8Array): number {
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getFloat64(0, true);
}
