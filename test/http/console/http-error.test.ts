import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ConsoleRequestError, toHttpError } from "../../../services/http/console/index.js";

function serviceError(code: status, details: string, reason?: string) {
  const metadata = new Metadata();
  if (reason) metadata.set("tributary-reason", reason);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

describe("toHttpError", () => {
  it.each([
    [status.INVALID_ARGUMENT, 400, "INVALID_ARGUMENT"],
    [status.NOT_FOUND, 404, "NOT_FOUND"],
    [status.ALREADY_EXISTS, 409, "ALREADY_EXISTS"],
    [status.OUT_OF_RANGE, 400, "OUT_OF_RANGE"],
    [status.FAILED_PRECONDITION, 400, "FAILED_PRECONDITION"],
    [status.RESOURCE_EXHAUSTED, 429, "RESOURCE_EXHAUSTED"],
    [status.UNAVAILABLE, 503, "UNAVAILABLE"],
    [status.DEADLINE_EXCEEDED, 504, "DEADLINE_EXCEEDED"],
    [status.PERMISSION_DENIED, 403, "PERMISSION_DENIED"],
    [status.UNAUTHENTICATED, 401, "UNAUTHENTICATED"],
    [status.UNIMPLEMENTED, 501, "UNIMPLEMENTED"],
    [status.DATA_LOSS, 500, "DATA_LOSS"],
    [status.INTERNAL, 500, "INTERNAL"],
  ])("maps gRPC status %i to HTTP %i with the status name", (code, http, name) => {
    const mapped = toHttpError(serviceError(code, "details", "SOME_REASON"));
    expect(mapped).toEqual({ status: http, internal: false, body: { error: { code: name, reason: "SOME_REASON", message: "details" } } });
  });

  it("keeps the tributary-reason and the broker's details text", () => {
    const mapped = toHttpError(serviceError(status.NOT_FOUND, "topic nope does not exist", "UNKNOWN_TOPIC"));
    expect(mapped.body.error).toEqual({ code: "NOT_FOUND", reason: "UNKNOWN_TOPIC", message: "topic nope does not exist" });
  });

  it("answers an empty reason when the broker sent none", () => {
    expect(toHttpError(serviceError(status.UNAVAILABLE, "connection refused")).body.error.reason).toBe("");
  });

  it("reports the console's own refusals with their status and reason", () => {
    expect(toHttpError(new ConsoleRequestError("INVALID_JSON", "the body is not valid JSON"))).toEqual({
      status: 400,
      internal: false,
      body: { error: { code: "INVALID_ARGUMENT", reason: "INVALID_JSON", message: "the body is not valid JSON" } },
    });
    expect(toHttpError(new ConsoleRequestError("UNKNOWN_ROUTE", "no such route", { status: 404 })).body.error.code).toBe("NOT_FOUND");
  });

  it("hides anything else behind 500 internal error and flags it for the log", () => {
    expect(toHttpError(new TypeError("x is undefined"))).toEqual({
      status: 500,
      internal: true,
      body: { error: { code: "INTERNAL", reason: "", message: "internal error" } },
    });
  });
});
