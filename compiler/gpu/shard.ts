// Tensor parallelism over `gpus` GPUs, Megatron style: a GEMM reading a replicated activation is column-parallel
// (weights split by output column, result sharded); a GEMM reading a sharded activation is row-parallel (weights
// split by input row, partial sums all-reduced over NVLink). Attention and elementwise ops keep a sharded value
// sharded (heads split across GPUs); anything else needs a replicated input and gets an all-gather first.
// A `moe` op is sharded the way vLLM's FusedMoE and TensorRT-LLM's MoE shard it under tensor parallelism: every
// expert's FFN is split over the GPUs (gate and up by output column, down by input row, so each GPU stores 1/N of
// every expert), the experts read a replicated activation and their partial sums are all-reduced, as after a dense
// MLP's row-parallel down projection. The router, a GEMM whose scores only feed a top-k, stays whole on every GPU
// (vLLM's ReplicatedLinear gate): its E columns are too few to be worth a collective. Expert parallelism, on request,
// places E/N whole experts on each GPU instead (vLLM's --enable-expert-parallel with data parallelism 1): the
// tokens are already on every GPU after tensor-parallel attention, so no all-to-all is needed, and the partial sums
// are all-reduced as under tensor parallelism. Either layout falls back to the other when its dimension (F or E)
// does not divide N, and to whole experts on every GPU when neither does, so the bytes stored do not depend on it.
// Guarantees: with gpus = 1 every value is replicated and no collective is planned.
import type { GraphNode } from "../graph/ir.ts";
import { type GraphFacts, isIo, isView, valueKey } from "./walk.ts";

export type GemmMode = "replicated" | "column" | "row" | "batched";
/** tensor: each expert's FFN split over the GPUs (1/N of every expert on each); expert: E/N whole experts on each;
 * replicated: every expert whole on every GPU. */
export type MoeMode = "replicated" | "tensor" | "expert";
/** The layout asked for (LowerOptions.moe); the plan may fall back (MoeMode). */
export type MoeParallel = "tensor" | "expert";

export interface ShardPlan {
  readonly gpus: number;
  /** Split factor of each base value (1 = every GPU holds all of it). */
  shard(key: string): number;
  gemmMode(nodeId: string): GemmMode;
  moeMode(nodeId: string): MoeMode;
  /** How many ways a param is split, each GPU storing 1/that of it (1 = whole on every GPU). */
  weightSplit(paramId: string): number;
  /** Values to all-gather before a node runs (sharded input where a replicated one is needed). */
  gatherBefore(nodeId: string): readonly string[];
  /** Row-parallel GEMM and tensor-parallel moe nodes, whose (partial-sum) result is all-reduced. */
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

/** A GEMM whose every reader is a top-k: an MoE router, whose scores are read whole. */
function isRouter(facts: GraphFacts, n: GraphNode): boolean {
  const readers = facts.consumers({ node: n.id, output: 0 });
  return (
    readers.length > 0 &&
    readers.every((id) => facts.node(id).op.kind === "topk") &&
    !facts.outputs.has(valueKey({ node: n.id, output: 0 }))
  );
}

/** The expert weights of a moe node are inputs 3 (gate), 4 (up) and 5 (down). */
const FIRST_EXPERT_INPUT = 3;

export function planShards(facts: GraphFacts, gpus: number, moe: MoeParallel = "tensor"): ShardPlan {
  const shards = new Map<string, number>();
  const modes = new Map<string, GemmMode>();
  const moeModes = new Map<string, MoeMode>();
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
    if (kind === "moe") {
      // Tokens, routing weights and expert ids are read whole (gathered if sharded); the output is a partial sum.
      const need: string[] = [];
      for (let i = 0; i < FIRST_EXPERT_INPUT; i++) {
        const key = valueKey(facts.base(n.inputs[i]!));
        if (get(key) > 1 && !need.includes(key)) need.push(key);
      }
      if (need.length > 0) gathers.set(n.id, need);
      const [experts, , ff] = facts.type(n.inputs[FIRST_EXPERT_INPUT]!).shape as [number, number, number];
      const fits = { tensor: ff % gpus === 0, expert: experts % gpus === 0 };
      const other: MoeParallel = moe === "tensor" ? "expert" : "tensor";
      const what = { tensor: `expert width ${ff}`, expert: `${experts} experts` };
      const mode: MoeMode = gpus === 1 ? "replicated" : fits[moe] ? moe : fits[other] ? other : "replicated";
      if (gpus > 1 && mode !== moe) {
        const instead = mode === "replicated" ? "experts replicated" : `${other} parallel instead`;
        notes.push(`${n.id}: ${what[moe]} does not split over ${gpus} GPUs; ${instead}`);
      }
      moeModes.set(n.id, mode);
      if (mode !== "replicated") allReduceAfter.add(n.id);
      setAll(n, 1);
      continue;
    }
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
        if (gpus > 1 && a === 1 && isRouter(facts, n)) {
          notes.push(`${n.id}: MoE router (${rows}x${cols}) replicated on every GPU`);
          modes.set(n.id, "replicated");
          setAll(n, 1);
        } else if (gpus > 1 && a > 1 && rows % gpus === 0) {
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
  const gemmMode = (id: string): GemmMode => modes.get(id) ?? "replicated";
  const moeMode = (id: string): MoeMode => moeModes.get(id) ?? "replicated";
  /** Split when every reader splits it: column- or row-parallel GEMMs reading it as weights, tensor- or
   * expert-parallel moe reading it as expert weights (1/N of each expert, or E/N whole ones: the same bytes);
   * anything else (norms, embeddings, a weight read whole somewhere) is whole. */
  const weightSplit = (paramId: string): number => {
    if (gpus === 1) return 1;
    const readers = facts.consumers({ node: paramId, output: 0 });
    const splits = (id: string): boolean => {
      const r = facts.node(id);
      if (r.op.kind === "matmul") {
        const mode = gemmMode(id);
        return facts.base(r.inputs[1]!).node === paramId && (mode === "column" || mode === "row");
      }
      if (r.op.kind === "moe") {
        return (
          moeMode(id) !== "replicated" &&
          r.inputs.every((v, i) => i >= FIRST_EXPERT_INPUT || facts.base(v).node !== paramId)
        );
      }
      return false;
    };
    return readers.length > 0 && readers.every(splits) ? gpus : 1;
  };
  return {
    gpus,
    shard: get,
    gemmMode,
    moeMode,
    weightSplit,
    gatherBefore: (id) => gathers.get(id) ?? [],
    allReduceAfter,
    notes,
  };
}
