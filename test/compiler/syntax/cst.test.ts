import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cstTypesText } from "../../../compiler/syntax/gen-cst.ts";

describe("generated CST types", () => {
  it("compiler/syntax/cst.ts matches the grammar (regenerate: npx tsx compiler/syntax/gen-cst.ts)", () => {
    const committed = readFileSync(new URL("../../../compiler/syntax/cst.ts", import.meta.url), "utf8");
    expect(committed).toBe(cstTypesText());
  });
});
