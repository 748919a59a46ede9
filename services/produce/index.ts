export { createProduceHandler, createProduceParser } from "./produce-handler.js";
