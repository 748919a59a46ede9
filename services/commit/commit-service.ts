import { TributaryError } from "../errors.js";
import type { ServiceImpl } from "../rpc/index.js";
import type { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";

const groupsLater = () =>
  Promise.reject(
    new TributaryError("unimplemented", "GROUPS_NOT_IMPLEMENTED", "consumer groups are not implemented yet"),
  );

/**
 * CommitService: the messages are part of v1 now so that clients generated
 * today stay valid; the behaviour arrives with the consumer-group coordinator.
 * Until then every call is UNIMPLEMENTED with reason GROUPS_NOT_IMPLEMENTED.
 */
export function createCommitService(): ServiceImpl<(typeof CommitService)["method"]> {
  return { commit: groupsLater, fetchCommitted: groupsLater };
}
