// Deterministic node order: a topological order whose ties are broken by id, so every printer and pass that walks
// the graph sees the same sequence for the same model.
import { invariant } from "../../util/assert.ts";
import { Heap } from "../../util/heap.ts";
import type { ModelGraph } from "./ir.ts";

/** Natural order: runs of digits compare by value ("layer.2" < "layer.10", "mul_2" < "mul_10"), text by code unit. */
export function compareIds(a: string, b: string): number {
  const as = a.match(/\d+|\D+/g) ?? [];
  const bs = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return as.length - bs.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Kahn's algorithm taking the smallest ready id first. Returns every node once; a cycle leaves some nodes out,
 * so `order.length < nodeCount` detects it (the verifier reports which).
 */
export function topoOrderPartial(g: ModelGraph): string[] {
  const pending = new Map<string, number>();
  const ready = new Heap<string>(compareIds);
  for (const id of g.graph.nodes()) {
    const n = g.graph.inEdges(id)?.length ?? 0;
    pending.set(id, n);
    if (n === 0) ready.push(id);
  }
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop()!;
    order.push(id);
    for (const e of g.graph.outEdges(id) ?? []) {
      const left = pending.get(e.w)! - 1;
      pending.set(e.w, left);
      if (left === 0) ready.push(e.w);
    }
  }
  return order;
}

/** The deterministic topological order of a verified (acyclic) graph. */
export function topoOrder(g: ModelGraph): string[] {
  const order = topoOrderPartial(g);
  invariant(order.length === g.graph.nodeCount(), "graph has a cycle");
  return order;
}
