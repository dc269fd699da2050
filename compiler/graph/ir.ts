// The typed model graph: the contract between the front end (syntax -> graph), the reference interpreter, the GPU
// kernel lowering and the LPU back end. Node and op records are immutable data; the graphlib Graph holds them.
// Contract: every node produces `outputs.length` values; an input is a ValueRef to an earlier node's output; after
// `verifyGraph` the graph is acyclic, every value has exactly one producer and every shape agrees with its op.
import type { Graph } from "@dagrejs/graphlib";
import type { Span } from "../../util/diagnostics.ts";

export type DType = "int8" | "fp8" | "fp16" | "bf16" | "fp32" | "int32";

export const DTYPES: readonly DType[] = ["int8", "fp8", "fp16", "bf16", "fp32", "int32"];

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  int8: 1,
  fp8: 1,
  fp16: 2,
  bf16: 2,
  fp32: 4,
  int32: 4,
};

export type Shape = readonly number[];

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** The operations of the model language (docs/language.md gives each one's exact meaning). */
export type Op =
  | { readonly kind: "input" }
  | { readonly kind: "param" }
  | { readonly kind: "state" }
  | { readonly kind: "output" }
  | { readonly kind: "matmul"; readonly transposeB: boolean }
  | { readonly kind: "add" }
  | { readonly kind: "mul" }
  | { readonly kind: "scale"; readonly factor: number }
  | { readonly kind: "gelu" }
  | { readonly kind: "silu" }
  | { readonly kind: "relu" }
  | { readonly kind: "softmax"; readonly axis: number }
  | { readonly kind: "layernorm"; readonly eps: number }
  | { readonly kind: "rmsnorm"; readonly eps: number }
  | { readonly kind: "rope"; readonly start: number; readonly base: number }
  | { readonly kind: "embedding" }
  | { readonly kind: "reshape"; readonly shape: Shape }
  | { readonly kind: "transpose"; readonly perm: readonly number[] }
  | { readonly kind: "concat"; readonly axis: number }
  | { readonly kind: "split"; readonly axis: number; readonly sizes: readonly number[] }
  | { readonly kind: "cast"; readonly to: DType }
  | { readonly kind: "attention"; readonly causal: boolean; readonly scale: number }
  | { readonly kind: "topk"; readonly k: number }
  | { readonly kind: "moe"; readonly activation: "silu" | "gelu" };

export type OpKind = Op["kind"];

/** One result of one node. */
export interface ValueRef {
  readonly node: string;
  readonly output: number;
}

export interface GraphNode {
  /** Unique, stable id: the dotted user-visible name path, e.g. "layer.3.q" or "layer.0.wq". */
  readonly id: string;
  readonly op: Op;
  readonly inputs: readonly ValueRef[];
  readonly outputs: readonly TensorType[];
  /** The block-use path this node belongs to ("" at top level, "layer.3" in the fourth use of `layer`). */
  readonly scope: string;
  /** Where in the model text the node came from, for diagnostics. */
  readonly span?: Span;
}

/** Edge label: which output of the producer feeds which input of the consumer (graphlib multigraph edge name). */
export interface EdgeLabel {
  readonly output: number;
  readonly input: number;
}

/** A model graph: graphlib's directed multigraph, node label GraphNode, edge label EdgeLabel. */
export interface ModelGraph {
  readonly name: string;
  /** Constants after `--set` overrides, for printing and for later passes (batch, seq, ctx). */
  readonly constants: Readonly<Record<string, number>>;
  readonly graph: Graph<unknown, GraphNode, EdgeLabel>;
  /** Node ids of inputs and outputs in declaration order. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export function numElements(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensorBytes(t: TensorType): number {
  return numElements(t.shape) * DTYPE_BYTES[t.dtype];
}

export function formatType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(", ")}]`;
}
