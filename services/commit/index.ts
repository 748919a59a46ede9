export { createCommitService, validateGroupId, type CommitDeps } from "./commit-service.js";
