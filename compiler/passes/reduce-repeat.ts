// The reduced model a stamped compile schedules (docs/compiler.md "Stamping repeated layers"): kernel graph with a
// `repeat` of n instances in U = n / q >= 4 units of q (layers.ts) -> the same graph with units 0, 1 and the last
// only, the last renamed unit 2 and fed by unit 1 (its tensors keep their `source.node`, so their seeded values stay
// the last unit's own). Undefined unless units 2 .. U - 2 are unit 1 renamed (ops, shapes, dtypes, sources): then
// unit 1 of the reduced schedule, fed by one unit and feeding another, is the steady state every middle unit repeats.
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

/** Adds `offset` to the instance index of ids of instances `lo .. hi - 1` of block `name` (`name.i.*`). */
export function instanceRenamer(name: string, lo: number, hi: number, offset: number): (s: string) => string {
  const prefix = `${name}.`;
  return (s) => {
    if (!s.startsWith(prefix)) return s;
    const dot = s.indexOf(".", prefix.length);
    const i = dot > 0 ? Number(s.slice(prefix.length, dot)) : Number.NaN;
    return i >= lo && i < hi ? `${name}.${i + offset}${s.slice(dot)}` : s;
  };
}

/** The reduced model for units of `unit` consecutive instances (layers.ts): units 0, 1 and the last (renamed unit
 * 2), when there are at least 4 units and units 2 .. U - 2 are unit 1 renamed. */
export function reduceRepeat(k: KernelGraph, unit = 1): ReducedRepeat | undefined {
  const r = findRepeat(k.ops);
  if (!r || r.count % unit !== 0 || r.count / unit < 4) return undefined;
  const { name, count: n, starts } = r;
  const q = unit;
  const opsOf = (u: number) => k.ops.slice(starts[u * q]!, starts[(u + 1) * q]!);
  const instance = (id: string) => {
    const m = /^([A-Za-z_]\w*)\.(\d+)\./.exec(id);
    return m?.[1] === name ? Number(m[2]) : -1;
  };
  const tensorsOf = (u: number) => k.tensors.filter((t) => Math.floor(instance(t.id) / q) === u);
  // Tensors keep their own source node (the values); the comparison renames it too.
  const sourceName = (t: KTensor, rename: (s: string) => string): KTensor =>
    t.source
      ? { ...t, id: rename(t.id), source: { ...t.source, node: rename(t.source.node) } }
      : { ...t, id: rename(t.id) };
  const template = JSON.stringify(opsOf(1));
  const templateTensors = JSON.stringify(tensorsOf(1));
  for (let u = 2; u < n / q - 1; u++) {
    // Unit u and the instance before it (its input) as unit 1 and instance q - 1.
    const back = instanceRenamer(name, u * q - 1, (u + 1) * q, -(u - 1) * q);
    if (JSON.stringify(renamed(opsOf(u), back)) !== template) return undefined;
    if (JSON.stringify(tensorsOf(u).map((t) => sourceName(t, back))) !== templateTensors) return undefined;
  }
  const last = instanceRenamer(name, n - q - 1, n, -(n - 3 * q));
  const ops: KOp[] = [...k.ops.slice(0, starts[2 * q]!), ...renamed(k.ops.slice(starts[n - q]!), last)];
  const used = new Set<string>();
  for (const op of ops)
    renamed(op, (s) => {
      used.add(s);
      return s;
    });
  for (const o of k.outputs) used.add(last(o.tensor));
  const tensors: KTensor[] = [];
  for (const t of k.tensors) {
    // Units 2 .. U - 2 are left out (renamed, their ids would be those of units 1 and 2).
    const i = instance(t.id);
    if (i >= 2 * q && i < n - q) continue;
    const id = last(t.id);
    if (!used.has(id)) continue;
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
