import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as M from "../../../compiler/graph/messages.ts";
import type { MessageDef } from "../../../util/diagnostics.ts";

describe("docs/language.md", () => {
  it("lists every LPU2xxx message of the graph builder with its exact template", () => {
    const doc = readFileSync(new URL("../../../docs/language.md", import.meta.url), "utf8");
    const defs = Object.values(M).filter((v): v is MessageDef => typeof v === "object" && "code" in v);
    expect(defs.length).toBeGreaterThan(20);
    for (const d of defs) expect(doc).toContain(`| ${d.code} | ${d.text.replaceAll("|", "\\|")} |`);
  });
});
