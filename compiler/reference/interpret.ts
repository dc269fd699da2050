// The reference interpreter: a ModelGraph and a seed in, every node's values and the model outputs out. It walks
// the graph in dependency order (by each node's `inputs`), runs one kernel per op and mutates nothing: sources come
// from initialValues (or the caller's overrides), state is read and never written back.
// Precision model (docs/language.md): results are rounded to their dtype after every op; matrix products (matmul,
// and those inside attention and moe) accumulate in fp32 in ascending k order; everything else computes in float64
// and rounds once, through fp32, to the output dtype.

import { assertNever, invariant } from "../../util/assert.ts";
import type { GraphNode, ModelGraph, Op, TensorType } from "../graph/ir.ts";
import { attention, rope } from "./attention.ts";
import { add, cast, geluTanh, mapUnary, mul, relu, scale, silu } from "./elementwise.ts";
import { initialValues, initRules } from "./init.ts";
import { concat, embedding, reshape, split, transpose } from "./layout.ts";
import { matmul } from "./linear.ts";
import { layernorm, rmsnorm, softmax } from "./norm.ts";
import { moe, topk } from "./routing.ts";
import { fromValues, type Tensor, type TensorData } from "./tensor.ts";

export interface InterpretOptions {
  /** Seed for every input, param and state (see init.ts); an integer in [0, 2^32). */
  readonly seed: number;
  /** Values to use instead of the seeded ones, by source node id; rounded to the node's dtype. */
  readonly sources?: ReadonlyMap<string, ArrayLike<number>>;
  /** "all" (default) keeps every node's values; "outputs" frees each value after its last use, to save memory. */
  readonly retain?: "all" | "outputs";
}

export interface NamedTensor extends Tensor {
  readonly name: string;
}

export interface Evaluation {
  /** Each evaluated node's results, one tensor per output, by node id (all nodes unless retain = "outputs"). */
  readonly values: ReadonlyMap<string, readonly Tensor[]>;
  /** The model outputs, in declaration order. */
  readonly outputs: readonly NamedTensor[];
}

export function interpret(g: ModelGraph, opts: InterpretOptions): Evaluation {
  const order = dependencyOrder(g);
  const rules = initRules(g);
  const node = (id: string): GraphNode => g.graph.node(id);
  // Remaining consumers per node, to free values early when only outputs are wanted.
  const uses = new Map<string, number>();
  for (const id of order) for (const i of node(id).inputs) uses.set(i.node, (uses.get(i.node) ?? 0) + 1);
  const keep = new Set(g.outputs);
  const values = new Map<string, readonly Tensor[]>();
  for (const id of order) {
    const n = node(id);
    const ins = n.inputs.map((ref) => {
      const v = values.get(ref.node);
      invariant(v?.[ref.output] !== undefined, `${id} reads ${ref.node}#${ref.output} before it is computed`);
      return v[ref.output]!;
    });
    let results: Tensor[];
    if (n.op.kind === "input" || n.op.kind === "param" || n.op.kind === "state") {
      const t = n.outputs[0]!;
      const given = opts.sources?.get(id);
      results = [
        given !== undefined
          ? fromValues(t, given)
          : { type: t, data: initialValues(id, t, opts.seed, rules.get(id)) },
      ];
    } else {
      results = evaluate(n, n.op, ins);
    }
    invariant(results.length === n.outputs.length, `${id}: ${n.op.kind} gave ${results.length} results`);
    values.set(id, results);
    if (opts.retain === "outputs") {
      for (const ref of n.inputs) {
        const left = (uses.get(ref.node) ?? 1) - 1;
        uses.set(ref.node, left);
        if (left === 0 && !keep.has(ref.node)) values.delete(ref.node);
      }
    }
  }
  const outputs = g.outputs.map((id) => ({ name: id, ...values.get(id)![0]! }));
  return { values, outputs };
}

/** One node's kernel. Output types come from the graph: shape inference is the builder's job, checked by verifyGraph. */
function evaluate(n: GraphNode, op: Op, x: readonly Tensor[]): Tensor[] {
  const out: TensorType = n.outputs[0]!;
  switch (op.kind) {
    case "input":
    case "param":
    case "state":
      invariant(false, "sources are initialised, not evaluated");
      break;
    case "output":
      return [cast(out, x[0]!)];
    case "matmul":
      return [matmul(out, x[0]!, x[1]!, op.transposeB)];
    case "add":
      return [add(out, x[0]!, x[1]!)];
    case "mul":
      return [mul(out, x[0]!, x[1]!)];
    case "scale":
      return [scale(out, x[0]!, op.factor)];
    case "gelu":
      return [mapUnary(out, x[0]!, geluTanh)];
    case "silu":
      return [mapUnary(out, x[0]!, silu)];
    case "relu":
      return [mapUnary(out, x[0]!, relu)];
    case "softmax":
      return [softmax(out, x[0]!, op.axis)];
    case "layernorm":
      return [layernorm(out, x[0]!, x[1]!, x[2]!, op.eps)];
    case "rmsnorm":
      return [rmsnorm(out, x[0]!, x[1]!, op.eps)];
    case "rope":
      return [rope(out, x[0]!, op.start, op.base)];
    case "embedding":
      return [embedding(out, x[0]!, x[1]!, n.id)];
    case "reshape":
      return [reshape(out, x[0]!)];
    case "transpose":
      return [transpose(out, x[0]!, op.perm)];
    case "concat":
      return [concat(out, x, op.axis)];
    case "split":
      return split(n.outputs, x[0]!, op.axis, op.sizes);
    case "cast":
      return [cast(out, x[0]!)];
    case "attention":
      return [attention(out, x[0]!, x[1]!, x[2]!, x[3], x[4], op.causal, op.scale)];
    case "topk":
      return topk(n.outputs, x[0]!, op.k);
    case "moe":
      return [moe(out, x[0]!, x[1]!, x[2]!, x[3]!, x[4]!, x[5]!, op.activation, n.id)];
    default:
      return assertNever(op, "op");
  }
  return [];
}

/** Node ids so that every node comes after the producers of its inputs; ties in sorted id order, so it is stable. */
export function dependencyOrder(g: ModelGraph): string[] {
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  // An explicit stack: deep models (80 layers x dozens of ops) would overflow a recursive walk.
  for (const root of [...g.graph.nodes()].sort()) {
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next === 0) {
        if (state.get(top.id) === "done") {
          stack.pop();
          continue;
        }
        invariant(state.get(top.id) !== "visiting", `cycle through ${top.id}`);
        state.set(top.id, "visiting");
      }
      const n: GraphNode | undefined = g.graph.node(top.id);
      invariant(n !== undefined, `missing node ${top.id}`);
      if (top.next < n.inputs.length) {
        stack.push({ id: n.inputs[top.next++]!.node, next: 0 });
      } else {
        state.set(top.id, "done");
        order.push(top.id);
        stack.pop();
      }
    }
  }
  return order;
}

export type { Tensor, TensorData };
