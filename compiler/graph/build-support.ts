// Pure helpers of the graph builder (build.ts): the names a scope declares, where an op problem points, and
// de-duplication of diagnostics repeated by every use of a broken block.
import type { Diagnostic, Span } from "../../util/diagnostics.ts";
import type { Assign, Call, Model, TensorDecl } from "../syntax/ast.ts";
import type { TensorType } from "./ir.ts";
import type { OpProblem } from "./ops/index.ts";

/** A block's evaluated port and result types (undefined entries when a dimension failed to evaluate). */
export interface Signature {
  readonly ports: readonly (TensorType | undefined)[];
  readonly result: TensorType | undefined;
}

/** Every name a scope's statements declare, so synthesized ids avoid them and forward uses get a hint. */
export function declaredNames(
  statements: readonly (Model["statements"][number] | TensorDecl | Assign)[],
): Set<string> {
  const names = new Set<string>();
  for (const s of statements) {
    if (s.kind === "TensorDecl" || s.kind === "OutputDecl") names.add(s.name.name);
    if (s.kind === "Assign") for (const t of s.targets) names.add(t.name);
  }
  return names;
}

/** The source range an op problem points at: the operand or attribute it names, else the whole call. */
export function problemSpan(p: OpProblem, call: Call): Span {
  if (p.at && "operand" in p.at) return call.args[p.at.operand]?.span ?? call.span;
  if (p.at && "attr" in p.at) {
    const name = p.at.attr;
    return call.attrs.find((a) => a.name.name === name)?.span ?? call.span;
  }
  return call.span;
}

/** Drops repeats of the same message at the same place (a broken block used N times reports once). */
export function dedupe(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.code}|${d.span?.start}|${d.span?.end}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
