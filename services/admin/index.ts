export { createAdminService } from "./admin-service.js";
