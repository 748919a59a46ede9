/**
 * The checks a follower makes on frames copied from its leader before appending any of
 * them (Log.appendAsFollower, CLUSTER.md section 4): all frames pass or none is appended.
 */
import { InvalidArgumentError } from "../errors.js";
import { frameBaseOffset, frameCrcMatches, frameHeaderBytes, frameHeaderProblem, frameLastOffsetDelta, frameLength, maxFrameBytes } from "./batch-frame.js";

/**
 * Checks `frames` (whole frames back to back, batch-frame.ts) against a log that
 * continues at `expectedOffset` and whose last record has leader epoch `lastEpoch`
 * (-1 for none): structure and crc, base offsets continuing the log exactly, and epochs
 * never going down. With `allowGaps` (cleanupPolicy "compact") a frame may start above
 * the offset expected: a gap compaction left at the leader.
 * @throws InvalidArgumentError BAD_FRAME (torn, malformed or crc mismatch),
 *   OFFSET_MISMATCH (does not continue the log), LEADER_EPOCH_DECREASED
 */
export function checkFollowerFrames(frames: Buffer, expectedOffset: number, lastEpoch: number, allowGaps: boolean): void {
  let expected = expectedOffset;
  let epoch = lastEpoch;
  for (let at = 0; at < frames.length; at += frameLength(frames, at)) {
    const room = frames.length - at;
    const problem = room < frameHeaderBytes ? "torn header" : frameHeaderProblem(frames, at, -1, Math.min(room, maxFrameBytes));
    if (problem !== null || !frameCrcMatches(frames, at, frameLength(frames, at))) {
      throw new InvalidArgumentError("BAD_FRAME", `frame at byte ${at}: ${problem ?? "crc mismatch"}`);
    }
    const base = frameBaseOffset(frames, at);
    const gapAllowed = base > expected && allowGaps;
    if (base !== expected && !gapAllowed) {
      throw new InvalidArgumentError("OFFSET_MISMATCH", `frame at byte ${at} starts at offset ${base}, the log continues at ${expected}`);
    }
    const frameEpoch = frames.readInt32LE(at + 12);
    if (frameEpoch < epoch || frameEpoch < 0) {
      throw new InvalidArgumentError("LEADER_EPOCH_DECREASED", `frame at offset ${base} has leader epoch ${frameEpoch}, below ${epoch}`);
    }
    epoch = frameEpoch;
    expected = base + frameLastOffsetDelta(frames, at) + 1;
  }
}
