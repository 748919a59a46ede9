import { describe, expect, it } from "vitest";
import * as tributary from "tributary";

describe('the "tributary" package entry', () => {
  it("exports the client classes", () => {
    expect(typeof tributary.Producer).toBe("function");
    expect(typeof tributary.Consumer).toBe("function");
    expect(typeof tributary.Admin).toBe("function");
    expect(typeof tributary.createClient).toBe("function");
  });
});
