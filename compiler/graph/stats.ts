// Whole-graph statistics for one pass: parameters and KV-cache state by dtype, FLOPs, bytes moved, op counts.
// In: a verified ModelGraph. Out: exact numbers (no rounding), the same for the same graph.
//
// Definitions (a simple roofline measure, not a schedule):
// - FLOPs: the arithmetic of every op, 2 per multiply-accumulate; elementwise ops count their formula per element
//   (ops/elementwise.ts ELEMENT_FLOPS); attention counts QK^T and PV over all C + S keys of every query.
// - bytes moved = weights + state read + state written + activations, where
//   weights: every param consumed by some op, read once: its full size, except that an embedding reads only the
//     looked-up rows and moe only the experts some token can pick (min(E, tokens * k) of E); a param used twice
//     (a tied embedding and lm head) counts the larger of its reads, once;
//   state read: every state tensor consumed, in full, once (the KV cache is read every pass);
//   state written: attention's append of the new keys and values to the cache;
//   activations: for every op other than declarations, outputs and views (reshape), the bytes of its operands that
//     are not params or state, plus the bytes of its results (each intermediate is written once and read by each
//     consumer, as if nothing stayed on chip).

import type { ModelGraph } from "./ir.ts";
import { DTYPE_BYTES, type DType, numElements, type OpKind, tensorBytes } from "./ir.ts";
import { inputTypes } from "./model-graph.ts";
import { isView, movesNoData, opFlops, opStateBytesWritten, opWeightBytes } from "./ops/index.ts";

export interface Amount {
  /** Scalar elements (for params: the parameter count). */
  readonly count: number;
  readonly bytes: number;
}

export interface TensorSummary extends Amount {
  /** How many tensors (declarations). */
  readonly tensors: number;
  readonly byDtype: Readonly<Partial<Record<DType, Amount>>>;
}

export interface BytesMoved {
  readonly total: number;
  readonly weights: number;
  readonly stateRead: number;
  readonly stateWritten: number;
  readonly activations: number;
}

export interface GraphStats {
  readonly nodes: number;
  readonly params: TensorSummary;
  /** Persistent state (the KV cache). */
  readonly state: TensorSummary;
  readonly inputs: TensorSummary;
  readonly outputs: TensorSummary;
  readonly flops: number;
  readonly flopsByOp: Readonly<Partial<Record<OpKind, number>>>;
  readonly bytesMoved: BytesMoved;
  /** FLOPs per byte moved. */
  readonly intensity: number;
  /** Nodes by op kind (declarations included). */
  readonly opCounts: Readonly<Partial<Record<OpKind, number>>>;
}

class Summary {
  count = 0;
  bytes = 0;
  tensors = 0;
  readonly byDtype = new Map<DType, { count: number; bytes: number }>();
  add(dtype: DType, count: number): void {
    const bytes = count * DTYPE_BYTES[dtype];
    this.count += count;
    this.bytes += bytes;
    this.tensors++;
    const d = this.byDtype.get(dtype) ?? { count: 0, bytes: 0 };
    this.byDtype.set(dtype, { count: d.count + count, bytes: d.bytes + bytes });
  }
  done(): TensorSummary {
    const byDtype: Partial<Record<DType, Amount>> = {};
    for (const k of [...this.byDtype.keys()].sort()) byDtype[k] = this.byDtype.get(k)!;
    return { count: this.count, bytes: this.bytes, tensors: this.tensors, byDtype };
  }
}

function increment<K extends string>(m: Partial<Record<K, number>>, k: K, by: number): void {
  m[k] = (m[k] ?? 0) + by;
}

function sortedRecord<K extends string>(m: Partial<Record<K, number>>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of (Object.keys(m) as K[]).sort()) out[k] = m[k]!;
  return out;
}

/** The node whose data a value really is: a reshape of a weight is still that weight. */
export function throughViews(g: ModelGraph, id: string): string {
  let node = g.graph.node(id);
  while (isView(node.op)) {
    node = g.graph.node(node.inputs[0]!.node);
  }
  return node.id;
}

export function graphStats(g: ModelGraph): GraphStats {
  const summaries = {
    param: new Summary(),
    state: new Summary(),
    input: new Summary(),
    output: new Summary(),
  };
  const opCounts: Partial<Record<OpKind, number>> = {};
  const flopsByOp: Partial<Record<OpKind, number>> = {};
  const weightReads = new Map<string, number>();
  const stateReads = new Map<string, number>();
  let flops = 0;
  let stateWritten = 0;
  let activations = 0;
  for (const id of [...g.graph.nodes()].sort()) {
    const node = g.graph.node(id);
    const kind = node.op.kind;
    increment(opCounts, kind, 1);
    if (kind === "param" || kind === "state" || kind === "input" || kind === "output") {
      const t = node.outputs[0]!;
      summaries[kind].add(t.dtype, numElements(t.shape));
    }
    const inputs = inputTypes(g, node);
    const f = opFlops(node.op, inputs, node.outputs);
    flops += f;
    if (f > 0) increment(flopsByOp, kind, f);
    stateWritten += opStateBytesWritten(node.op, inputs);
    if (movesNoData(node.op)) continue;
    node.inputs.forEach((ref, i) => {
      const source = throughViews(g, ref.node);
      const producer = g.graph.node(source).op.kind;
      if (producer === "param") {
        const bytes = opWeightBytes(node.op, inputs, i);
        weightReads.set(source, Math.max(weightReads.get(source) ?? 0, bytes));
      } else if (producer === "state") {
        stateReads.set(source, tensorBytes(inputs[i]!));
      } else {
        activations += tensorBytes(inputs[i]!);
      }
    });
    for (const t of node.outputs) activations += tensorBytes(t);
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const weights = sum(weightReads);
  const stateRead = sum(stateReads);
  const total = weights + stateRead + stateWritten + activations;
  return {
    nodes: g.graph.nodeCount(),
    params: summaries.param.done(),
    state: summaries.state.done(),
    inputs: summaries.input.done(),
    outputs: summaries.output.done(),
    flops,
    flopsByOp: sortedRecord(flopsByOp),
    bytesMoved: { total, weights, stateRead, stateWritten, activations },
    intensity: total === 0 ? 0 : flops / total,
    opCounts: sortedRecord(opCounts),
  };
}
