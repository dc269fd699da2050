// The reduced model a stamped compile schedules (docs/compiler.md "Stamping repeated layers"): kernel graph with a
// `repeat` of n >= 4 instances -> the same graph with instances 0, 1 and n - 1 only, the last renamed instance 2 and
// fed by instance 1 (its tensors keep their `source.node`, so their seeded values stay the last instance's own).
// Undefined unless instances 1 .. n - 2 are instance 1 renamed (ops, shapes, dtypes, sources): then instance 1 of the
// reduced schedule, fed by one instance and feeding another, is the steady state every middle instance repeats.
import type { KernelGraph, KOp, KTensor } from "./kernel-ir.ts";
import { findRepeat, type Repeat } from "./layers.ts";

export interface ReducedRepeat {
  readonly repeat: Repeat;
  readonly kernel: KernelGraph;
}

/** A copy of `v` (plain data: strings, numbers, arrays, records) with every string passed through `rename`. */
function renamed<T>(v: T, rename: (s: string) => string): T {
  if (typeof v === "string") return rename(v) as T;
  if (Array.isArray(v)) return v.map((x) => renamed(x, rename)) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = renamed(x, rename);
    return out as T;
  }
  return v;
}

/** Renames instance `from` (and the instance before it) to `to` (and `to - 1`) in a tensor or op id. */
export function instanceRenamer(name: string, from: number, to: number): (s: string) => string {
  const a = `${name}.${from}.`;
  const b = `${name}.${from - 1}.`;
  return (s) =>
    s.startsWith(a)
      ? `${name}.${to}.${s.slice(a.length)}`
      : s.startsWith(b)
        ? `${name}.${to - 1}.${s.slice(b.length)}`
        : s;
}

export function reduceRepeat(k: KernelGraph): ReducedRepeat | undefined {
  const r = findRepeat(k.ops);
  if (!r || r.count < 4) return undefined;
  const { name, count: n, starts } = r;
  const opsOf = (i: number) => k.ops.slice(starts[i]!, starts[i + 1]!);
  const tensorsOf = (i: number) => k.tensors.filter((t) => t.id.startsWith(`${name}.${i}.`));
  // Tensors keep their own source node (the values); the comparison renames it too.
  const sourceName = (t: KTensor, rename: (s: string) => string): KTensor =>
    t.source
      ? { ...t, id: rename(t.id), source: { ...t.source, node: rename(t.source.node) } }
      : { ...t, id: rename(t.id) };
  const template = JSON.stringify(opsOf(1));
  const templateTensors = JSON.stringify(tensorsOf(1));
  for (let i = 2; i < n - 1; i++) {
    const back = instanceRenamer(name, i, 1);
    if (JSON.stringify(renamed(opsOf(i), back)) !== template) return undefined;
    if (JSON.stringify(tensorsOf(i).map((t) => sourceName(t, back))) !== templateTensors) return undefined;
  }
  const last = instanceRenamer(name, n - 1, 2);
  const ops: KOp[] = [...k.ops.slice(0, starts[2]!), ...renamed(k.ops.slice(starts[n - 1]!), last)];
  const used = new Set<string>();
  for (const op of ops)
    renamed(op, (s) => {
      used.add(s);
      return s;
    });
  for (const o of k.outputs) used.add(last(o.tensor));
  const tensors: KTensor[] = [];
  for (const t of k.tensors) {
    const id = last(t.id);
    // Instance n - 2's tensors renamed to 1 are instance 1's own: keep each once.
    if (t.id.startsWith(`${name}.${n - 2}.`) || !used.has(id)) continue;
    tensors.push(id === t.id ? t : { ...t, id });
  }
  tensors.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return {
    repeat: r,
    kernel: {
      ...k,
      ops,
      tensors,
      outputs: k.outputs.map((o) => ({ ...o, tensor: last(o.tensor) })),
    },
  };
}
