// Test helper: builds small ModelGraph values directly (graphlib multigraph, GraphNode labels, EdgeLabel edges) so
// the interpreter is tested without the parser, and runs one op on given values.
import { Graph } from "@dagrejs/graphlib";
import type {
  DType,
  EdgeLabel,
  GraphNode,
  ModelGraph,
  Op,
  Shape,
  TensorType,
  ValueRef,
} from "../../../compiler/graph/ir.ts";
import { type Evaluation, interpret } from "../../../compiler/reference/interpret.ts";
import type { Tensor } from "../../../compiler/reference/tensor.ts";

export const ty = (dtype: DType, shape: Shape): TensorType => ({ dtype, shape });

export class GraphBuilder {
  private readonly graph = new Graph<unknown, GraphNode, EdgeLabel>({ multigraph: true, directed: true });
  private readonly inputIds: string[] = [];
  private readonly outputIds: string[] = [];
  constructor(
    private readonly name = "test",
    private readonly constants: Record<string, number> = {},
  ) {}

  source(kind: "input" | "param" | "state", id: string, t: TensorType): ValueRef {
    this.add({ id, op: { kind }, inputs: [], outputs: [t], scope: "" });
    if (kind === "input") this.inputIds.push(id);
    return { node: id, output: 0 };
  }

  /** A node with several results; returns one ValueRef per result. */
  node(
    id: string,
    op: Op,
    inputs: readonly (ValueRef | string)[],
    outputs: readonly TensorType[],
  ): ValueRef[] {
    const refs = inputs.map((r) => (typeof r === "string" ? { node: r, output: 0 } : r));
    this.add({ id, op, inputs: refs, outputs, scope: "" });
    refs.forEach((r, input) => {
      this.graph.setEdge(r.node, id, { output: r.output, input }, `${r.output}->${input}`);
    });
    return outputs.map((_, output) => ({ node: id, output }));
  }

  op(id: string, op: Op, inputs: readonly (ValueRef | string)[], out: TensorType): ValueRef {
    return this.node(id, op, inputs, [out])[0]!;
  }

  output(id: string, from: ValueRef | string, t: TensorType): void {
    this.node(id, { kind: "output" }, [from], [t]);
    this.outputIds.push(id);
  }

  build(): ModelGraph {
    return {
      name: this.name,
      constants: this.constants,
      graph: this.graph,
      inputs: this.inputIds,
      outputs: this.outputIds,
    };
  }

  private add(n: GraphNode): void {
    if (this.graph.hasNode(n.id)) throw new Error(`duplicate node ${n.id}`);
    this.graph.setNode(n.id, n);
  }
}

export interface Operand {
  readonly type: TensorType;
  readonly values: readonly number[];
}

export const val = (dtype: DType, shape: Shape, values: readonly number[]): Operand => ({
  type: ty(dtype, shape),
  values,
});

/**
 * Runs `op` on the given operand values (inputs in0, in1, ...; a missing operand is skipped) and returns its
 * results. Results pass through an output node, so the full interpreter path is exercised.
 */
export function runOp(op: Op, operands: readonly Operand[], outs: readonly TensorType[]): Tensor[] {
  const b = new GraphBuilder();
  const sources = new Map<string, readonly number[]>();
  const refs = operands.map((o, i) => {
    sources.set(`in${i}`, o.values);
    return b.source("input", `in${i}`, o.type);
  });
  const results = b.node("y", op, refs, outs);
  results.forEach((r, i) => {
    b.output(`out${i}`, r, outs[i]!);
  });
  const ev: Evaluation = interpret(b.build(), { seed: 0, sources });
  return ev.outputs.map((o) => ({ type: o.type, data: o.data }));
}

export const list = (t: Tensor): number[] => Array.from(t.data);

/** Element by element within `tol` (absolute); lists the first mismatch with its index. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol)) {
      throw new Error(
        `element ${i}: got ${a}, expected ${e} (tolerance ${tol})\n  got ${Array.from(actual)}`,
      );
    }
  }
}
