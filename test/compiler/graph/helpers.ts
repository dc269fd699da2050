// Test helpers for the graph: terse tensor types ("fp16[1, 64]"), op inference rendered as text, and models loaded
// from inline text with their diagnostics formatted.
import { expect } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import {
  DTYPES,
  type DType,
  formatType,
  type ModelGraph,
  type TensorType,
} from "../../../compiler/graph/ir.ts";
import { type AttrValue, buildOp, type ComputeKind } from "../../../compiler/graph/ops/index.ts";
import { diag, formatDiagnostics } from "../../../util/diagnostics.ts";

/** "fp16[1, 64]" -> a TensorType. */
export function t(text: string): TensorType {
  const m = /^(\w+)\[([\d, ]*)\]$/.exec(text);
  if (!m || !DTYPES.includes(m[1] as DType)) throw new Error(`bad type ${text}`);
  const shape = m[2]!.trim() === "" ? [] : m[2]!.split(",").map((d) => Number(d.trim()));
  return { dtype: m[1] as DType, shape };
}

const int = (value: number): AttrValue => ({ kind: "int", value });

/** Plain JS attribute values to AttrValues: integers, floats, booleans, int lists, dtypes ("dt:fp32"), words. */
export function attrs(values: Record<string, number | boolean | string | number[]>): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === "boolean") out.set(k, { kind: "bool", value: v });
    else if (typeof v === "number") out.set(k, Number.isInteger(v) ? int(v) : { kind: "float", value: v });
    else if (Array.isArray(v)) out.set(k, { kind: "list", items: v.map(int) });
    else if (v.startsWith("dt:")) out.set(k, { kind: "dtype", value: v.slice(3) as DType });
    else out.set(k, { kind: "word", name: v });
  }
  return out;
}

/** The result types of an op call ("fp16[1, 64], int32[1, 2]"), or its first problem as "LPU2030 message". */
export function infer(
  kind: ComputeKind,
  inputs: string[],
  attributes: Record<string, number | boolean | string | number[]> = {},
): string {
  const r = buildOp(kind, attrs(attributes), inputs.map(t));
  if ("problems" in r) {
    const p = r.problems[0]!;
    const d = diag(p.def, "x", undefined, [...p.args]);
    return `${d.code} ${d.message}`;
  }
  return r.outputs.map(formatType).join(", ");
}

/** Loads inline model text; the diagnostics formatted as the CLI prints them ("" when clean). */
export function load(
  text: string,
  sets: Record<string, string> = {},
): { graph?: ModelGraph; errors: string } {
  const r = loadModel(text, "m.model", sets);
  return { graph: r.graph, errors: formatDiagnostics(r.diagnostics, text) };
}

/** Loads inline model text that must be valid. */
export function graphOf(text: string, sets: Record<string, string> = {}): ModelGraph {
  const r = load(text, sets);
  expect(r.errors).toBe("");
  return r.graph!;
}
