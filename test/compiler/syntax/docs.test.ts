import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseModel } from "../../../compiler/syntax/index.ts";
import { M } from "../../../compiler/syntax/messages.ts";
import { formatDiagnostics } from "../../../util/diagnostics.ts";

const docs = readFileSync(new URL("../../../docs/language.md", import.meta.url), "utf8");

/** `### CODE: title` sections of docs/language.md with their ```model-error input and ```text output. */
function documentedErrors(): { code: string; input: string; output: string }[] {
  const re = /^### (LPU\d{4}):[^\n]*\n[\s\S]*?```model-error\n([\s\S]*?)```\n\n```text\n([\s\S]*?)```/gm;
  return [...docs.matchAll(re)].map((m) => ({ code: m[1]!, input: m[2]!, output: m[3]!.trimEnd() }));
}

describe("docs/language.md diagnostics section", () => {
  it("documents every LPU1xxx code of the syntax message table with an example", () => {
    const documented = new Set(documentedErrors().map((e) => e.code));
    const codes = [...new Set(Object.values(M).map((m) => m.code))].sort();
    expect(codes.filter((c) => !documented.has(c))).toEqual([]);
  });

  it("each example produces exactly the output shown beside it, and that output carries the section's code", () => {
    const examples = documentedErrors();
    expect(examples.length).toBeGreaterThanOrEqual(15);
    for (const { code, input, output } of examples) {
      const r = parseModel(input, "example.model");
      expect(formatDiagnostics(r.diagnostics, input), code).toBe(output);
      expect(r.diagnostics.map((d) => d.code)).toContain(code);
    }
  });
});
