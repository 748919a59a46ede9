/** How the message browser shows a key, value or header. */
export type Format = "auto" | "text" | "json" | "hex";

/** Decodes protobuf JSON's base64 bytes. */
export function fromBase64(data: string): Uint8Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Renders bytes as text, pretty JSON (when it parses) or hex. "auto" picks JSON
 * when it parses, text when it is UTF-8 without control characters, else hex.
 */
export function formatBytesAs(bytes: Uint8Array, format: Format): string {
  if (format === "hex") return toHex(bytes);
  const text = decodeText(bytes);
  if (format === "text") return text ?? new TextDecoder().decode(bytes);
  if (text !== undefined) {
    try {
      const trimmed = text.trim();
      if (trimmed.startsWith("{") || trimmed.startsWith("[") || format === "json") return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: fall through
    }
    // eslint-disable-next-line no-control-regex
    if (format === "auto" && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return text;
    if (format === "json") return text;
  }
  return toHex(bytes);
}
