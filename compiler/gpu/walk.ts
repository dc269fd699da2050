// Graph facts the GPU lowering needs: a stable topological order, views resolved to the value they alias, and the
// real (non-view) consumers of every value. Reads the graph only; never mutates it.
import type { GraphNode, ModelGraph, OpKind, TensorType, ValueRef } from "../graph/ir.ts";

/** Ops that only re-describe memory: no kernel, the consumer reads the aliased bytes. */
const VIEW_OPS: ReadonlySet<OpKind> = new Set(["reshape", "transpose", "split"]);
/** Ops that are data, not work. */
const IO_OPS: ReadonlySet<OpKind> = new Set(["input", "param", "state", "output"]);

export function isView(n: GraphNode): boolean {
  return VIEW_OPS.has(n.op.kind);
}

export function isIo(n: GraphNode): boolean {
  return IO_OPS.has(n.op.kind);
}

export function valueKey(v: ValueRef): string {
  return v.output === 0 ? v.node : `${v.node}:${v.output}`;
}

export interface GraphFacts {
  readonly order: readonly GraphNode[];
  readonly index: ReadonlyMap<string, number>;
  node(id: string): GraphNode;
  /** The value a view chain aliases (the value itself when it is not a view). */
  base(v: ValueRef): ValueRef;
  type(v: ValueRef): TensorType;
  /** Non-view, non-output nodes that read a base value (through any views), in graph order. */
  consumers(base: ValueRef): readonly string[];
  /** Base values that feed a graph output. */
  readonly outputs: ReadonlySet<string>;
}

/** Kahn's algorithm, always taking the earliest-inserted ready node: deterministic and close to the text's order. */
function topoOrder(mg: ModelGraph): GraphNode[] {
  const ids = mg.graph.nodes();
  const pos = new Map(ids.map((id, i) => [id, i]));
  const pending = new Map<string, number>();
  const users = new Map<string, string[]>();
  for (const id of ids) {
    const n = mg.graph.node(id);
    const preds = new Set(n.inputs.map((i) => i.node));
    pending.set(id, preds.size);
    for (const p of preds) {
      const list = users.get(p) ?? [];
      list.push(id);
      users.set(p, list);
    }
  }
  const ready = ids.filter((id) => pending.get(id) === 0);
  const out: GraphNode[] = [];
  while (ready.length > 0) {
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (pos.get(ready[i]!)! < pos.get(ready[best]!)!) best = i;
    const id = ready.splice(best, 1)[0]!;
    out.push(mg.graph.node(id));
    for (const u of users.get(id) ?? []) {
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) ready.push(u);
    }
  }
  if (out.length !== ids.length)
    throw new Error("GPU lowering: the model graph has a cycle (verifyGraph should have caught it)");
  return out;
}

export function graphFacts(mg: ModelGraph): GraphFacts {
  const order = topoOrder(mg);
  const index = new Map(order.map((n, i) => [n.id, i]));
  const byId = new Map(order.map((n) => [n.id, n]));
  const node = (id: string): GraphNode => {
    const n = byId.get(id);
    if (!n) throw new Error(`GPU lowering: no node '${id}'`);
    return n;
  };
  const base = (v: ValueRef): ValueRef => {
    let cur = v;
    for (;;) {
      const n = node(cur.node);
      if (!isView(n)) return cur;
      cur = n.inputs[0]!;
    }
  };
  const users = new Map<string, string[]>();
  const outputs = new Set<string>();
  for (const n of order) {
    if (isView(n)) continue;
    for (const input of n.inputs) {
      const key = valueKey(base(input));
      if (n.op.kind === "output") {
        outputs.add(key);
        continue;
      }
      const list = users.get(key) ?? [];
      if (!list.includes(n.id)) list.push(n.id);
      users.set(key, list);
    }
  }
  return {
    order,
    index,
    node,
    base,
    type: (v) => node(v.node).outputs[v.output]!,
    consumers: (b) => users.get(valueKey(b)) ?? [],
    outputs,
  };
}
