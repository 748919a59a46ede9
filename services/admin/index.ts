export { createAdminService, type AdminDeps } from "./admin-service.js";
