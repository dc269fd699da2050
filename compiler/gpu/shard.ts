// Tensor parallelism over `gpus` GPUs, Megatron style: a GEMM reading a replicated activation is column-parallel
// (weights split by output column, result sharded); a GEMM reading a sharded activation is row-parallel (weights
// split by input row, partial sums all-reduced over NVLink). Attention and elementwise ops keep a sharded value
// sharded (heads split across GPUs); anything else needs a replicated input and gets an all-gather first.
// Guarantees: with gpus = 1 every value is replicated and no collective is planned.
import type { GraphNode } from "../graph/ir.ts";
import { type GraphFacts, isIo, isView, valueKey } from "./walk.ts";

export type GemmMode = "replicated" | "column" | "row" | "batched";

export interface ShardPlan {
  readonly gpus: number;
  /** Split factor of each base value (1 = every GPU holds all of it). */
  shard(key: string): number;
  gemmMode(nodeId: string): GemmMode;
  /** Values to all-gather before a node runs (sharded input where a replicated one is needed). */
  gatherBefore(nodeId: string): readonly string[];
  /** Row-parallel GEMM nodes, whose result is all-reduced. */
  readonly allReduceAfter: ReadonlySet<string>;
  readonly notes: readonly string[];
}

const KEEPS_SHARD: ReadonlySet<string> = new Set([
  "add",
  "mul",
  "scale",
  "gelu",
  "silu",
  "relu",
  "cast",
  "rope",
  // Assumed to reduce over an unsharded axis (the sharded one is heads), as in a hand-written attention.
  "softmax",
]);

function isParam(facts: GraphFacts, key: { node: string; output: number }): boolean {
  return facts.node(facts.base(key).node).op.kind === "param";
}

export function planShards(facts: GraphFacts, gpus: number): ShardPlan {
  const shards = new Map<string, number>();
  const modes = new Map<string, GemmMode>();
  const gathers = new Map<string, string[]>();
  const allReduceAfter = new Set<string>();
  const notes: string[] = [];
  const get = (key: string): number => shards.get(key) ?? 1;
  const inShard = (n: GraphNode, i: number): number => get(valueKey(facts.base(n.inputs[i]!)));
  const setAll = (n: GraphNode, s: number): void => {
    for (let o = 0; o < n.outputs.length; o++) shards.set(valueKey({ node: n.id, output: o }), s);
  };

  for (const n of facts.order) {
    if (isView(n) || (isIo(n) && n.op.kind !== "output")) continue;
    const kind = n.op.kind;
    if (kind === "output" || !(KEEPS_SHARD.has(kind) || kind === "matmul" || kind === "attention")) {
      // Needs every element: gather sharded activations first.
      const need: string[] = [];
      for (const input of n.inputs) {
        const key = valueKey(facts.base(input));
        if (get(key) > 1 && !isParam(facts, input) && !need.includes(key)) need.push(key);
      }
      if (need.length > 0) gathers.set(n.id, need);
      setAll(n, 1);
      continue;
    }
    if (kind === "matmul") {
      const a = inShard(n, 0);
      const b = n.inputs[1]!;
      const bType = facts.type(b);
      if (isParam(facts, b) && bType.shape.length === 2) {
        const cols = n.outputs[0]!.shape.at(-1)!;
        const rows = facts.type(n.inputs[0]!).shape.at(-1)!;
        if (gpus > 1 && a > 1 && rows % gpus === 0) {
          modes.set(n.id, "row");
          allReduceAfter.add(n.id);
          setAll(n, 1);
        } else if (gpus > 1 && a === 1 && cols % gpus === 0) {
          modes.set(n.id, "column");
          setAll(n, gpus);
        } else {
          if (gpus > 1 && a > 1) gathers.set(n.id, [valueKey(facts.base(n.inputs[0]!))]);
          if (gpus > 1) notes.push(`${n.id}: ${rows}x${cols} does not split over ${gpus} GPUs; replicated`);
          modes.set(n.id, "replicated");
          setAll(n, 1);
        }
      } else {
        modes.set(n.id, "batched");
        setAll(n, Math.max(a, inShard(n, 1)));
      }
      continue;
    }
    let s = 1;
    for (let i = 0; i < n.inputs.length; i++)
      if (!isParam(facts, n.inputs[i]!)) s = Math.max(s, inShard(n, i));
    setAll(n, s);
  }
  return {
    gpus,
    shard: get,
    gemmMode: (id) => modes.get(id) ?? "replicated",
    gatherBefore: (id) => gathers.get(id) ?? [],
    allReduceAfter,
    notes,
  };
}
