import { createHash, randomBytes } from "node:crypto";

/** The SHA-256 (hex) of a token's text: what the config stores. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random token (256 bits, base64url) and its hash. */
export function newToken(): { token: string; sha256: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, sha256: hashToken(token) };
}
