/** An error that carries trailers (NOT_LEADER's `tributary-leader`, issue 16) gets them
 * into its gRPC status metadata beside its reason. */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { NotLeaderError, leaderMetadataKey } from "../../services/errors.js";
import { GrpcCode, reasonMetadataKey, toServiceError } from "../../services/rpc/index.js";

const log = pino({ level: "silent" });

describe("toServiceError", () => {
  it("sends an error's trailers with its reason", () => {
    const error = toServiceError(new NotLeaderError("t", 0, "127.0.0.1:9092"), log, "m");
    expect(error.code).toBe(GrpcCode.UNAVAILABLE);
    expect(error.metadata.get(reasonMetadataKey)).toEqual(["NOT_LEADER"]);
    expect(error.metadata.get(leaderMetadataKey)).toEqual(["127.0.0.1:9092"]);
  });

  it("sends no leader trailer when the leader is unknown", () => {
    const error = toServiceError(new NotLeaderError("t", 0, undefined), log, "m");
    expect(error.metadata.get(leaderMetadataKey)).toEqual([]);
  });
});
