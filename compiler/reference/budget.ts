// What evaluating a graph costs the interpreter, estimated from shapes alone, and whether it fits this machine.
// In: a ModelGraph; out: source elements, the bytes all values would take, and multiply-accumulates. The limits are
// assumptions sized for a laptop-class machine and the interpreter's speed (tens of millions of fp32 MACs/s).
import { type GraphNode, type ModelGraph, numElements } from "../graph/ir.ts";

export interface EvalCost {
  /** Elements of every input, param and state tensor (what initialValues must draw). */
  readonly sourceElements: number;
  /** Bytes of every value of every node at 4 bytes an element (the interpreter stores fp32/int32). */
  readonly valueBytes: number;
  /** Multiply-accumulates in matmul, attention and moe. */
  readonly macs: number;
}

export interface EvalLimits {
  readonly sourceElements: number;
  readonly valueBytes: number;
  readonly macs: number;
}

/** Assumptions, not measurements of any spec: about 2e8 drawn values (~6 s to draw), 4 GiB of values, 2e10
 * MACs (~45 s at the 2.2 ns per fp32 MAC measured on a 2-core VM for bert-base at seq=64). */
export const DEFAULT_LIMITS: EvalLimits = { sourceElements: 2e8, valueBytes: 4 * 2 ** 30, macs: 2e10 };

export function evalCost(g: ModelGraph): EvalCost {
  let sourceElements = 0;
  let valueBytes = 0;
  let macs = 0;
  for (const id of g.graph.nodes()) {
    const n: GraphNode = g.graph.node(id);
    for (const t of n.outputs) valueBytes += 4 * numElements(t.shape);
    if (n.op.kind === "input" || n.op.kind === "param" || n.op.kind === "state") {
      sourceElements += numElements(n.outputs[0]!.shape);
    }
    macs += nodeMacs(g, n);
  }
  return { sourceElements, valueBytes, macs };
}

function nodeMacs(g: ModelGraph, n: GraphNode): number {
  const inShape = (i: number) => {
    const ref = n.inputs[i]!;
    return (g.graph.node(ref.node) as GraphNode).outputs[ref.output]!.shape;
  };
  switch (n.op.kind) {
    case "matmul": {
      const a = inShape(0);
      return numElements(n.outputs[0]!.shape) * a[a.length - 1]!;
    }
    case "attention": {
      // Every query row against every key, twice (scores and the weighted sum of values).
      const [b, s, h, dh] = inShape(0) as [number, number, number, number];
      const c = n.inputs.length > 3 ? inShape(3)[1]! : 0;
      return 2 * b * s * h * (c + s) * dh;
    }
    case "moe": {
      const [b, s, k] = inShape(1) as [number, number, number];
      const [, d, f] = inShape(3) as [number, number, number];
      return b * s * k * 3 * d * f;
    }
    default:
      return 0;
  }
}

/** Why `cost` exceeds `limits` (one sentence per limit crossed), or an empty list when it fits. */
export function overLimits(cost: EvalCost, limits: EvalLimits = DEFAULT_LIMITS): string[] {
  const out: string[] = [];
  if (cost.sourceElements > limits.sourceElements)
    out.push(`${fmt(cost.sourceElements)} input/param/state elements (limit ${fmt(limits.sourceElements)})`);
  if (cost.valueBytes > limits.valueBytes)
    out.push(`${fmtBytes(cost.valueBytes)} of values (limit ${fmtBytes(limits.valueBytes)})`);
  if (cost.macs > limits.macs) out.push(`${fmt(cost.macs)} multiply-accumulates (limit ${fmt(limits.macs)})`);
  return out;
}

function fmt(x: number): string {
  return x.toExponential(2);
}

function fmtBytes(b: number): string {
  return `${(b / 2 ** 30).toFixed(2)} GiB`;
}
