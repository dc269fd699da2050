// One fused unit -> one ComputeKernel: per-GPU multiply-accumulates, vector FLOPs, bytes read and written by
// tensor, and the thread-block grid a real kernel would launch (tiles for GEMMs, split-K or split-KV to fill the
// SMs). Guarantees: a tensor produced and consumed inside the unit costs no bytes; a tensor read twice counts once.
import type { ComputeKernel, TensorAccess, TensorRole } from "../../arch/gpu/kernels.ts";
import {
  DTYPE_BYTES,
  type DType,
  type GraphNode,
  numElements,
  tensorBytes,
  type ValueRef,
} from "../graph/ir.ts";
import type { Unit } from "./fuse.ts";
import { busiestGpuLoad, expectedExpertsTouched } from "./routing.ts";
import type { ShardPlan } from "./shard.ts";
import { type GraphFacts, valueKey } from "./walk.ts";

/** Vector FLOPs per result element (a transcendental counts 1; see docs/language.md for each formula). */
const PER_ELEMENT: Readonly<Partial<Record<string, number>>> = {
  add: 1,
  mul: 1,
  scale: 1,
  relu: 1,
  cast: 1,
  concat: 0,
  silu: 4, // negate, exp, add, divide
  gelu: 9, // tanh form: cube (2), scale, add, scale, tanh, add, multiply, halve
  rope: 3, // x cos + rotate(x) sin
  softmax: 5, // max, subtract, exp, sum, divide
  layernorm: 7, // mean, subtract, square, sum, normalise, gain, bias
  rmsnorm: 4, // square, sum, normalise, gain
  topk: 2, // assumption: one compare-and-select pass per element
};

/** GEMM tile and split-K choices (CUTLASS-like defaults; assumptions, not taken from a particular library). */
const TILE_N = 128;
const MIN_K_PER_SPLIT = 256;
/** Flash-decoding: at least this many keys per split. */
const KEYS_PER_SPLIT = 128;
/** Prefill flash attention: query rows per block. */
const QUERY_ROWS = 128;
/** Elementwise kernels: 256 threads x 8 elements per block. */
const ELEMENTS_PER_BLOCK = 2048;

export interface CostContext {
  readonly facts: GraphFacts;
  readonly plan: ShardPlan;
  readonly sms: number;
}

function roleOf(facts: GraphFacts, v: ValueRef): TensorRole {
  const kind = facts.node(facts.base(v).node).op.kind;
  return kind === "param" ? "weight" : kind === "state" ? "kv" : "activation";
}

/** The per-GPU share of a value read by `n` at input `i`. */
function readShard(ctx: CostContext, n: GraphNode, i: number, unitShard: number): number {
  const { facts, plan } = ctx;
  const v = n.inputs[i]!;
  const base = facts.base(v);
  const role = roleOf(facts, v);
  if (n.op.kind === "matmul" && role === "weight") {
    const mode = plan.gemmMode(n.id);
    return mode === "column" || mode === "row" ? plan.gpus : 1;
  }
  if (n.op.kind === "attention") return i < 3 ? plan.shard(valueKey(base)) : kvShard(ctx, n);
  if (role === "weight") return unitShard > 1 && facts.type(v).shape.length > 0 ? unitShard : 1;
  return plan.shard(valueKey(base));
}

/** KV heads split over GPUs; fewer KV heads than GPUs are replicated (one per GPU). */
function kvShard(ctx: CostContext, n: GraphNode): number {
  const qShard = ctx.plan.shard(valueKey(ctx.facts.base(n.inputs[0]!)));
  const kvHeads = ctx.facts.type(n.inputs[1]!).shape[2]!;
  return Math.min(qShard, kvHeads);
}

function matmulWork(
  ctx: CostContext,
  n: GraphNode,
): { macs: number; grid: number; m: number; nCols: number } {
  const { facts, plan } = ctx;
  const a = facts.type(n.inputs[0]!);
  const out = n.outputs[0]!;
  const k = a.shape.at(-1)!;
  const mode = plan.gemmMode(n.id);
  const outShard = plan.shard(valueKey({ node: n.id, output: 0 }));
  const kLocal = mode === "row" ? k / plan.gpus : k;
  const elements = numElements(out.shape) / (mode === "row" ? 1 : outShard);
  const cols = out.shape.at(-1)! / (mode === "column" ? plan.gpus : 1);
  const m = a.shape.length >= 2 ? a.shape.at(-2)! : 1;
  const batches = Math.max(1, Math.round(elements / (m * cols)));
  return { macs: elements * kLocal, grid: batches * Math.ceil(m / (m <= 64 ? 64 : 128)), m, nCols: cols };
}

function attentionWork(ctx: CostContext, n: GraphNode): { macs: number; vector: number; grid: number } {
  const q = ctx.facts.type(n.inputs[0]!);
  const [b, s, h, dh] = q.shape as [number, number, number, number];
  const kvHeads = ctx.facts.type(n.inputs[1]!).shape[2]!;
  const cached = n.inputs.length === 5 ? ctx.facts.type(n.inputs[3]!).shape[1]! : 0;
  const causal = n.op.kind === "attention" && n.op.causal;
  // Keys each query attends to, summed over the S new queries (query i sits at position C + i).
  const keys = causal ? s * cached + (s * (s + 1)) / 2 : s * (cached + s);
  const hs = ctx.plan.shard(valueKey(ctx.facts.base(n.inputs[0]!)));
  const heads = h / hs;
  const kvLocal = Math.max(1, kvHeads / kvShard(ctx, n));
  const scores = b * heads * keys;
  let grid: number;
  if (s <= 16) {
    const splits = Math.max(
      1,
      Math.min(Math.ceil(ctx.sms / (b * kvLocal)), Math.ceil((cached + s) / KEYS_PER_SPLIT)),
    );
    grid = b * kvLocal * splits;
  } else {
    grid = b * heads * Math.ceil(s / QUERY_ROWS);
  }
  return { macs: 2 * scores * dh, vector: PER_ELEMENT.softmax! * scores, grid };
}

/**
 * One fused MoE kernel (route, gate/up, SiLU x up, down, weighted sum) on one GPU. Tensor-parallel experts: each GPU
 * holds F/N of every expert's width, so 1/N of the MACs and of the bytes of each touched expert; the weighted sum
 * runs on each GPU's partial output before the all-reduce, so it is not split. Expert-parallel: whole experts, and
 * the kernel is the busiest GPU's (the all-reduce after it waits for that one). Touched experts: see routing.ts.
 */
function moeWork(
  ctx: CostContext,
  n: GraphNode,
): { macs: number; vector: number; weightBytes: number; grid: number } {
  const x = ctx.facts.type(n.inputs[0]!);
  const k = ctx.facts.type(n.inputs[1]!).shape.at(-1)!;
  const gate = ctx.facts.type(n.inputs[3]!);
  const [experts, d, f] = gate.shape as [number, number, number];
  const mode = ctx.plan.moeMode(n.id);
  const fLocal = mode === "tensor" ? f / ctx.plan.gpus : f;
  const tokens = numElements(x.shape) / d;
  let routes = tokens * k;
  let distinct = expectedExpertsTouched(experts, k, tokens);
  if (mode === "expert") {
    const busiest = busiestGpuLoad(experts, k, tokens, ctx.plan.gpus);
    routes = busiest.routes;
    distinct = busiest.experts;
  }
  const bytes = DTYPE_BYTES[gate.dtype];
  return {
    macs: Math.round(routes * 3 * d * fLocal),
    vector: Math.round(routes * fLocal * (PER_ELEMENT.silu! + 1) + routes * d * 2),
    weightBytes: Math.round(distinct * 3 * d * fLocal * bytes),
    grid: Math.max(1, Math.ceil(distinct)) * Math.ceil(fLocal / TILE_N),
  };
}

export function unitKernel(ctx: CostContext, unit: Unit, name: string): ComputeKernel {
  const { facts, plan } = ctx;
  const inUnit = new Set(unit.nodes);
  const reads = new Map<string, TensorAccess>();
  const writes = new Map<string, TensorAccess>();
  const seenViews = new Set<string>();
  const add = (to: Map<string, TensorAccess>, tensor: string, bytes: number, role: TensorRole): void => {
    const prev = to.get(tensor);
    to.set(tensor, { tensor, bytes: (prev?.bytes ?? 0) + Math.round(bytes), role });
  };
  let macs = 0;
  let vector = 0;
  let grid = 0;
  let macDtype: DType = "fp16";
  let blocksPerSm = 4;
  for (const id of unit.nodes) {
    const n = facts.node(id);
    const outShard = plan.shard(valueKey({ node: id, output: 0 }));
    for (let i = 0; i < n.inputs.length; i++) {
      const v = n.inputs[i]!;
      const base = facts.base(v);
      if (inUnit.has(base.node)) continue;
      const view = valueKey(v);
      if (seenViews.has(view)) continue;
      seenViews.add(view);
      const role = roleOf(facts, v);
      let bytes = tensorBytes(facts.type(v)) / readShard(ctx, n, i, outShard);
      if (n.op.kind === "embedding" && i === 1)
        bytes = numElements(n.outputs[0]!.shape) * DTYPE_BYTES[n.outputs[0]!.dtype];
      if (n.op.kind === "moe" && i >= 3) continue;
      add(reads, valueKey(base), bytes, role);
    }
    for (let o = 0; o < n.outputs.length; o++) {
      const ref = { node: id, output: o };
      const key = valueKey(ref);
      const external = facts.outputs.has(key) || facts.consumers(ref).some((c) => !inUnit.has(c));
      if (external) add(writes, key, tensorBytes(n.outputs[o]!) / plan.shard(key), "activation");
    }
    const elements = numElements(n.outputs[0]?.shape ?? []) / outShard;
    switch (n.op.kind) {
      case "matmul": {
        const w = matmulWork(ctx, n);
        macs += w.macs;
        macDtype = facts.type(n.inputs[0]!).dtype;
        blocksPerSm = 1;
        grid = Math.max(grid, 0) + w.grid * Math.ceil(w.nCols / TILE_N);
        break;
      }
      case "attention": {
        const w = attentionWork(ctx, n);
        macs += w.macs;
        vector += w.vector;
        macDtype = facts.type(n.inputs[0]!).dtype;
        grid = w.grid;
        blocksPerSm = 2;
        if (n.inputs.length === 5) {
          const ks = kvShard(ctx, n);
          for (const [src, cache] of [
            [1, 3],
            [2, 4],
          ] as const) {
            add(
              writes,
              valueKey(facts.base(n.inputs[cache]!)),
              tensorBytes(facts.type(n.inputs[src]!)) / ks,
              "kv",
            );
          }
        }
        break;
      }
      case "moe": {
        const w = moeWork(ctx, n);
        macs += w.macs;
        vector += w.vector;
        macDtype = n.outputs[0]!.dtype;
        add(reads, `${id}.experts`, w.weightBytes, "weight");
        grid = w.grid;
        blocksPerSm = 1;
        break;
      }
      case "layernorm":
      case "rmsnorm":
      case "softmax":
      case "topk": {
        vector += (PER_ELEMENT[n.op.kind]! * numElements(facts.type(n.inputs[0]!).shape)) / outShard;
        const rows = elements / Math.max(1, n.outputs[0]!.shape.at(-1) ?? 1);
        grid = Math.max(grid, Math.ceil(rows));
        break;
      }
      case "embedding":
        grid = Math.max(grid, Math.ceil(elements / ELEMENTS_PER_BLOCK));
        break;
      default:
        vector += (PER_ELEMENT[n.op.kind] ?? 1) * elements;
        grid = Math.max(grid, Math.ceil(elements / ELEMENTS_PER_BLOCK));
    }
  }
  if (unit.cls === "gemm") {
    // Split-K to fill the SMs when there are fewer output tiles than SMs (decode GEMVs): partial sums go through
    // an fp32 workspace in L2.
    const first = facts.node(unit.nodes[0]!);
    const k =
      facts.type(first.inputs[0]!).shape.at(-1)! / (plan.gemmMode(first.id) === "row" ? plan.gpus : 1);
    const split =
      grid < ctx.sms ? Math.max(1, Math.min(Math.ceil(ctx.sms / grid), Math.floor(k / MIN_K_PER_SPLIT))) : 1;
    if (split > 1) {
      const partial = (macs / k) * 4 * split;
      add(writes, `${name}.splitk`, partial, "workspace");
      add(reads, `${name}.splitk`, partial, "workspace");
      grid *= split;
    }
  }
  if (unit.cls === "gemm" && unit.nodes.filter((id) => facts.node(id).op.kind === "matmul").length > 1) {
    // A merged GEMM reads one concatenated weight (as fused QKV and gate/up weights are stored).
    const weights = [...reads.values()]
      .filter((r) => r.role === "weight")
      .sort((a, b) => (a.tensor < b.tensor ? -1 : 1));
    for (const w of weights) reads.delete(w.tensor);
    const bytes = weights.reduce((sum, w) => sum + w.bytes, 0);
    const tensor = weights.map((w) => w.tensor).join("+");
    reads.set(tensor, { tensor, bytes, role: "weight" });
  }
  const byName = (m: Map<string, TensorAccess>) =>
    [...m.values()].sort((a, b) => (a.tensor < b.tensor ? -1 : 1));
  return {
    kind: "compute",
    name,
    class: unit.cls,
    macs,
    macDtype,
    vectorFlops: vector,
    reads: byName(reads),
    writes: byName(writes),
    grid: Math.max(1, grid),
    blocksPerSm,
    sources: unit.nodes,
  };
}
