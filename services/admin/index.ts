export { createAdminService } from "./admin-service.js";
export { configToMessage, overridesFromMessage } from "./topic-config-message.js";
