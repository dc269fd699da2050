// Shared test helpers for the syntax tests: parse expecting success, and the formatted diagnostics of a text.
import { expect } from "vitest";
import type { Model } from "../../../compiler/syntax/ast.ts";
import { parseModel } from "../../../compiler/syntax/index.ts";
import { formatDiagnostics } from "../../../util/diagnostics.ts";

export function parseOk(text: string): Model {
  const r = parseModel(text, "t.model");
  expect(formatDiagnostics(r.diagnostics, text)).toBe("");
  expect(r.ast).toBeDefined();
  return r.ast!;
}

export function errorsOf(text: string): string {
  const r = parseModel(text, "t.model");
  return formatDiagnostics(r.diagnostics, text);
}

/** The code blocks of a markdown file fenced with ```TAG. */
export function fencedBlocks(markdown: string, tag: string): string[] {
  const re = new RegExp(`^\`\`\`${tag}\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  return [...markdown.matchAll(re)].map((m) => m[1]!);
}
