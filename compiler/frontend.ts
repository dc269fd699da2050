// The front end in one call: model text -> parse -> build -> verify -> ModelGraph, with every diagnostic.
// Never throws on user input: a graph comes back exactly when there is no error. A verifier failure after a clean
// build is a compiler bug and throws.
import type { Diagnostic } from "../util/diagnostics.ts";
import { hasErrors } from "../util/diagnostics.ts";
import { buildGraph } from "./graph/build.ts";
import type { ModelGraph } from "./graph/ir.ts";
import { assertVerified } from "./graph/verify.ts";
import { parseModel } from "./syntax/index.ts";

export interface LoadResult {
  readonly graph?: ModelGraph;
  readonly diagnostics: Diagnostic[];
}

/** `sets` are `--set NAME=VALUE` overrides of the model's constants, values as typed (the builder parses them). */
export function loadModel(text: string, file: string, sets: Record<string, string> = {}): LoadResult {
  const parsed = parseModel(text, file);
  if (!parsed.ast || hasErrors(parsed.diagnostics)) return { diagnostics: [...parsed.diagnostics] };
  const built = buildGraph(parsed.ast, file, sets);
  const diagnostics = [...parsed.diagnostics, ...built.diagnostics];
  if (!built.graph || hasErrors(diagnostics)) return { diagnostics };
  assertVerified(built.graph);
  return { graph: built.graph, diagnostics };
}
