// Kernel fusion as a real inference stack does it: graph nodes -> units, each unit one kernel.
// Rules (what TensorRT-LLM / vLLM do; each named where applied):
//   merged GEMMs: matmuls of one activation by weights in the same block become one GEMM (fused QKV, fused gate/up);
//   epilogue: an elementwise chain whose inputs come only from one GEMM, which feeds nothing else, runs in that
//     GEMM's epilogue (GELU after fc1, SiLU(gate) * up after gate/up, the residual add after o_proj with one GPU);
//   chains: consecutive elementwise ops fuse into one kernel;
//   prologue: a residual add feeding a norm runs inside the norm (fused add + RMSNorm), writing the sum too;
//     rotary embedding feeding only attention runs inside the attention kernel (FlashInfer-style fused RoPE).
// Guarantees: every compute node is in exactly one unit; unit order is topological (checked).
import type { ComputeClass } from "../../arch/gpu/kernels.ts";
import type { GraphNode, OpKind } from "../graph/ir.ts";
import type { ShardPlan } from "./shard.ts";
import { type GraphFacts, isIo, isView, valueKey } from "./walk.ts";

export interface Unit {
  readonly cls: ComputeClass;
  /** Graph node ids in graph order. */
  readonly nodes: string[];
}

const ELEMENTWISE: ReadonlySet<OpKind> = new Set([
  "add",
  "mul",
  "scale",
  "gelu",
  "silu",
  "relu",
  "cast",
  "rope",
  "concat",
]);

function classOf(n: GraphNode): ComputeClass {
  const k = n.op.kind;
  if (ELEMENTWISE.has(k)) return "elementwise";
  switch (k) {
    case "matmul":
      return "gemm";
    case "attention":
      return "attention";
    case "layernorm":
    case "rmsnorm":
      return "norm";
    case "softmax":
      return "softmax";
    case "embedding":
      return "embedding";
    case "topk":
      return "topk";
    case "moe":
      return "moe";
    default:
      throw new Error(`GPU lowering: '${k}' is not a compute op`);
  }
}

export function fuse(facts: GraphFacts, plan: ShardPlan): { units: Unit[]; notes: string[] } {
  const unitOf = new Map<string, Unit>();
  const units: Unit[] = [];
  const notes: string[] = [];
  const merged = new Map<string, Unit>();
  const join = (u: Unit, n: GraphNode): void => {
    u.nodes.push(n.id);
    unitOf.set(n.id, u);
  };
  const fresh = (n: GraphNode): Unit => {
    const u: Unit = { cls: classOf(n), nodes: [] };
    units.push(u);
    join(u, n);
    return u;
  };
  const producerUnit = (n: GraphNode, i: number): Unit | undefined =>
    unitOf.get(facts.base(n.inputs[i]!).node);
  /** Every reader of every value produced in `u` is in `u` or is `extra`. */
  const onlyFeeds = (u: Unit, extra: ReadonlySet<string>): boolean => {
    for (const id of u.nodes) {
      const n = facts.node(id);
      for (let o = 0; o < n.outputs.length; o++) {
        const key = valueKey({ node: id, output: o });
        if (facts.outputs.has(key)) return false;
        for (const c of facts.consumers({ node: id, output: o }))
          if (unitOf.get(c) !== u && !extra.has(c)) return false;
      }
    }
    return true;
  };

  for (const n of facts.order) {
    if (isView(n) || isIo(n)) continue;
    const cls = classOf(n);
    if (cls === "gemm") {
      const b = facts.node(facts.base(n.inputs[1]!).node);
      if (b.op.kind === "param" && n.op.kind === "matmul" && plan.gemmMode(n.id) !== "row") {
        const a = valueKey(facts.base(n.inputs[0]!));
        const key = `${n.scope}|${a}|${n.op.transposeB}|${b.outputs[0]!.dtype}|${plan.gemmMode(n.id)}`;
        const u = merged.get(key);
        if (u) {
          join(u, n);
          continue;
        }
        merged.set(key, fresh(n));
        continue;
      }
      fresh(n);
      continue;
    }
    if (cls === "elementwise" && n.op.kind !== "concat") {
      // Chain: join an elementwise producer that feeds only this node.
      let done = false;
      for (let i = 0; i < n.inputs.length && !done; i++) {
        const p = producerUnit(n, i);
        if (p && p.cls === "elementwise" && onlyFeeds(p, new Set([n.id]))) {
          join(p, n);
          done = true;
        }
      }
      if (!done) fresh(n);
      continue;
    }
    if (cls === "norm") {
      const p = producerUnit(n, 0);
      if (p && p.cls === "elementwise" && p.nodes.every((id) => facts.node(id).op.kind === "add")) {
        // Fused add + norm: the kernel absorbs the residual add and also writes the sum.
        join(p, n);
        (p as { cls: ComputeClass }).cls = "norm";
        continue;
      }
      fresh(n);
      continue;
    }
    if (cls === "attention") {
      const u = fresh(n);
      for (let i = 0; i < Math.min(3, n.inputs.length); i++) {
        const p = producerUnit(n, i);
        if (
          p &&
          p !== u &&
          p.cls === "elementwise" &&
          p.nodes.every((id) => facts.node(id).op.kind === "rope")
        ) {
          if (onlyFeeds(p, new Set([n.id]))) {
            for (const id of p.nodes) unitOf.set(id, u);
            u.nodes.unshift(...p.nodes);
            units.splice(units.indexOf(p), 1);
          }
        }
      }
      continue;
    }
    fresh(n);
  }

  // Epilogues: an elementwise unit whose inputs come from one GEMM that feeds only it.
  for (const e of [...units]) {
    if (e.cls !== "elementwise") continue;
    const producers = new Set<Unit>();
    for (const id of e.nodes) {
      const n = facts.node(id);
      for (let i = 0; i < n.inputs.length; i++) {
        const p = producerUnit(n, i);
        if (p && p !== e) producers.add(p);
      }
    }
    const gemms = [...producers].filter((p) => p.cls === "gemm");
    if (gemms.length !== 1) continue;
    const g = gemms[0]!;
    if (g.nodes.some((id) => plan.allReduceAfter.has(id))) continue;
    if (!onlyFeeds(g, new Set(e.nodes))) continue;
    // Other producers of e must come before the GEMM so the fused kernel can read them.
    const gFirst = facts.index.get(g.nodes[0]!)!;
    if ([...producers].some((p) => p !== g && facts.index.get(p.nodes.at(-1)!)! > gFirst)) continue;
    for (const id of e.nodes) {
      g.nodes.push(id);
      unitOf.set(id, g);
    }
    units.splice(units.indexOf(e), 1);
    notes.push(
      `${e.nodes.map((id) => facts.node(id).op.kind).join("+")} fused into the epilogue of ${g.nodes[0]}`,
    );
  }
  for (const u of units) u.nodes.sort((a, b) => facts.index.get(a)! - facts.index.get(b)!);
  for (const u of units) {
    if (u.cls === "gemm" && u.nodes.filter((id) => facts.node(id).op.kind === "matmul").length > 1) {
      notes.push(`merged GEMM: ${u.nodes.filter((id) => facts.node(id).op.kind === "matmul").join(" + ")}`);
    }
  }
  return { units: orderUnits(units, unitOf, facts), notes };
}

/** Units in dependency order (earliest first node breaks ties); throws if fusion made a cycle (a bug). */
function orderUnits(units: Unit[], unitOf: ReadonlyMap<string, Unit>, facts: GraphFacts): Unit[] {
  const deps = new Map<Unit, Set<Unit>>();
  for (const u of units) {
    const d = new Set<Unit>();
    for (const id of u.nodes) {
      for (const input of facts.node(id).inputs) {
        const p = unitOf.get(facts.base(input).node);
        if (p && p !== u) d.add(p);
      }
    }
    deps.set(u, d);
  }
  const first = (u: Unit): number => facts.index.get(u.nodes[0]!)!;
  const done = new Set<Unit>();
  const out: Unit[] = [];
  const left = [...units].sort((a, b) => first(a) - first(b));
  while (left.length > 0) {
    const i = left.findIndex((u) => [...deps.get(u)!].every((d) => done.has(d)));
    if (i < 0) throw new Error("GPU lowering: fusion created a cycle");
    const u = left.splice(i, 1)[0]!;
    done.add(u);
    out.push(u);
  }
  return out;
}
