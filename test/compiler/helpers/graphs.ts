// Hand-built model graphs for back-end tests, independent of the front end: a tiny builder over graphlib.
import { Graph } from "@dagrejs/graphlib";
import type { DType, EdgeLabel, GraphNode, ModelGraph, Op, TensorType } from "../../../compiler/graph/ir.ts";

export class GraphBuilder {
  private readonly g = new Graph<unknown, GraphNode, EdgeLabel>({ multigraph: true, directed: true });
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];
  constructor(
    private readonly name: string,
    private readonly constants: Record<string, number> = { batch: 1 },
  ) {}

  node(id: string, op: Op, inputs: string[], out?: TensorType): string {
    // An output node carries its value's type, as the front end builds it.
    const type = out ?? (op.kind === "output" ? this.typeOf(inputs[0]!) : undefined);
    const outputs = type ? [type] : [];
    this.g.setNode(id, { id, op, inputs: inputs.map((n) => ({ node: n, output: 0 })), outputs, scope: "" });
    inputs.forEach((n, i) => {
      this.g.setEdge(n, id, { output: 0, input: i }, `${i}`);
    });
    if (op.kind === "input") this.inputs.push(id);
    if (op.kind === "output") this.outputs.push(id);
    return id;
  }
  source(kind: "input" | "param" | "state", id: string, dtype: DType, shape: number[]): string {
    return this.node(id, { kind }, [], { dtype, shape });
  }
  typeOf(id: string): TensorType {
    return this.g.node(id).outputs[0]!;
  }
  build(): ModelGraph {
    return {
      name: this.name,
      constants: this.constants,
      graph: this.g,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }
}

/** y = relu(x @ w1 + b1) @ w2 + b2, with x [batch, d], hidden h, output o. */
export function mlp2(
  opts: { batch?: number; d?: number; h?: number; o?: number; dtype?: DType } = {},
): ModelGraph {
  const { batch = 1, d = 64, h = 128, o = 32, dtype = "fp16" } = opts;
  const b = new GraphBuilder("mlp2", { batch });
  b.source("input", "x", dtype, [batch, d]);
  b.source("param", "w1", dtype, [d, h]);
  b.source("param", "b1", dtype, [h]);
  b.source("param", "w2", dtype, [h, o]);
  b.source("param", "b2", dtype, [o]);
  b.node("h0", { kind: "matmul", transposeB: false }, ["x", "w1"], { dtype, shape: [batch, h] });
  b.node("h1", { kind: "add" }, ["h0", "b1"], { dtype, shape: [batch, h] });
  b.node("h2", { kind: "relu" }, ["h1"], { dtype, shape: [batch, h] });
  b.node("y0", { kind: "matmul", transposeB: false }, ["h2", "w2"], { dtype, shape: [batch, o] });
  b.node("y1", { kind: "add" }, ["y0", "b2"], { dtype, shape: [batch, o] });
  b.node("y", { kind: "output" }, ["y1"]);
  return b.build();
}
