export { createCommitService, validateGroupId } from "./commit-service.js";
