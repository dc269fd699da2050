// The reduced model a stamped compile schedules (docs/compiler.md "Stamping repeated layers"): kernel graph with a
// `repeat` of n instances in U = n / q >= 3 units of q (layers.ts) -> the same graph with unit 0 only, its output
// read by the ops after the repeat (`units` 1), or with unit 0 and the last, the last renamed unit 1 and fed by
// unit 0 (`units` 2; its tensors keep their `source.node`, so their seeded values stay the last unit's own).
// Undefined unless the units stamp.ts copies (1 .. U - 1 for one unit, 1 .. U - 2 for two) are unit 0 renamed (ops,
// shapes, dtypes, sources, with the tensor chained into each as the one chained into unit 0): then unit 0, fed over
// the links into its group and feeding the next group, is the template every copied unit repeats (stamp.ts).
import { type KernelGraph, type KOp, type KTensor, opInputs } from "./kernel-ir.ts";
import { findRepeat, type Repeat } from "./layers.ts";

export interface ReducedRepeat {
  readonly repeat: Repeat;
  readonly kernel: KernelGraph;
  /** Units of the repeat in the reduced model: unit 0 alone, or unit 0 and the last. */
  readonly units: 1 | 2;
}

/** A copy of `v` (plain data: strings, numbers, arrays, records) with every string passed through `rename`. */
export function renamed<T>(v: T, rename: (s: string) => string): T {
  if (typeof v === "string") return rename(v) as T;
  if (Array.isArray(v)) return v.map((x) => renamed(x, rename)) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = renamed(x, rename);
    return out as T;
  }
  return v;
}

/** `JSON.stringify(renamed(v, rename))` without the copy: the replacer renames each string as it is written. */
function renamedJson(v: unknown, rename: (s: string) => string): string {
  return JSON.stringify(v, (_, x) => (typeof x === "string" ? rename(x) : x));
}

/** Whether `renamedJson(x, rename) === JSON.stringify(y)`, for plain data, without writing either: strings
 * compared renamed, numbers as JSON writes them (-0 as 0, NaN and infinities as null), an object's properties
 * in order with those JSON leaves out (undefined) left out, an array's undefined as null. */
export function sameJson(x: unknown, y: unknown, rename: (s: string) => string): boolean {
  if (typeof x === "string") return typeof y === "string" && rename(x) === y;
  if (typeof x === "number")
    return typeof y === "number" && (x === y || JSON.stringify(x) === JSON.stringify(y));
  if (x === null || typeof x !== "object" || y === null || typeof y !== "object") return x === y;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameJson(x[i] ?? null, y[i] ?? null, rename)) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  for (let i = 0, j = 0; ; i++, j++) {
    while (i < keysA.length && a[keysA[i]!] === undefined) i++;
    while (j < keysB.length && b[keysB[j]!] === undefined) j++;
    if (i === keysA.length || j === keysB.length) return i === keysA.length && j === keysB.length;
    const k = keysA[i]!;
    if (k !== keysB[j] || !sameJson(a[k], b[k], rename)) return false;
  }
}

/** Per kernel and unit size, what the comparisons of units with unit 0 found so far: units 1 .. `matched` are
 * unit 0 renamed, and unit `differs` is not (Infinity: none found). deep-repeat.ts asks for two units and
 * compile.ts then for one, of the same kernel: the second asks only about the last unit. */
const COMPARED = new WeakMap<KernelGraph, Map<number, { matched: number; differs: number }>>();

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

/** The reduced model for units of `unit` consecutive instances (layers.ts), when there are at least 3 units: unit 0
 * alone (`units` 1) when units 1 .. U - 1 are unit 0 renamed, or unit 0 and the last (renamed unit 1) when units
 * 1 .. U - 2 are. */
export function reduceRepeat(k: KernelGraph, unit = 1, units: 1 | 2 = 2): ReducedRepeat | undefined {
  const r = findRepeat(k.ops);
  if (!r || r.count % unit !== 0 || r.count / unit < 3) return undefined;
  const { name, count: n, starts } = r;
  const q = unit;
  const opsOf = (u: number) => k.ops.slice(starts[u * q]!, starts[(u + 1) * q]!);
  const prefix = `${name}.`;
  const instance = (id: string) => {
    if (!id.startsWith(prefix)) return -1;
    const dot = id.indexOf(".", prefix.length);
    const digits = dot > prefix.length ? id.slice(prefix.length, dot) : "";
    return /^\d+$/.test(digits) ? Number(digits) : -1;
  };
  // Each tensor's unit, once (a scan of every tensor per unit was quadratic in the units).
  const unitTensors = new Map<number, KTensor[]>();
  for (const t of k.tensors) {
    const i = instance(t.id);
    if (i < 0) continue;
    const u = Math.floor(i / q);
    (unitTensors.get(u) ?? unitTensors.set(u, []).get(u)!).push(t);
  }
  const tensorsOf = (u: number) => [...(unitTensors.get(u) ?? [])];
  // The tensor chained into unit 0 (made by the ops before it) and into unit 1 (made by unit 0): exactly one each.
  const made = new Set(k.ops.slice(0, starts[q]!).map((op) => op.out));
  const chained = (u: number) => [
    ...new Set(
      opsOf(u)
        .flatMap(opInputs)
        .filter((x) => made.has(x) && Math.floor(instance(x) / q) !== u),
    ),
  ];
  const [into0, ...more0] = chained(0);
  const [into1, ...more1] = chained(1);
  if (!into0 || !into1 || more0.length > 0 || more1.length > 0) return undefined;
  // Tensors keep their own source node (the values); the comparison renames it too.
  const sourceName = (t: KTensor, rename: (s: string) => string): KTensor =>
    t.source
      ? { ...t, id: rename(t.id), source: { ...t.source, node: rename(t.source.node) } }
      : { ...t, id: rename(t.id) };
  const template = opsOf(0);
  // Compared in order of the renamed ids: tensors are sorted by id, so a unit of layers 8 .. 11 lists
  // `layer.10.*` before `layer.8.*`, which renamed is not unit 0's order.
  const byId = (ts: KTensor[]) => ts.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const templateTensors = byId(tensorsOf(0));
  const same = (a: unknown, b: unknown) => sameJson(a, b, (s) => s);
  /** Whether unit u, and the tensor chained into it, are unit 0 and its input renamed. */
  const matches = (u: number): boolean => {
    const shift = instanceRenamer(name, u * q - 1, (u + 1) * q, -u * q);
    const input = into1.replace(`${name}.${q - 1}.`, `${name}.${u * q - 1}.`);
    const back = (s: string) => (s === input ? into0 : shift(s));
    return (
      sameJson(opsOf(u), template, back) &&
      same(byId(tensorsOf(u).map((t) => sourceName(t, back))), templateTensors)
    );
  };
  const byUnit = COMPARED.get(k) ?? COMPARED.set(k, new Map()).get(k)!;
  const found = byUnit.get(q) ?? { matched: 0, differs: Number.POSITIVE_INFINITY };
  byUnit.set(q, found);
  const need = n / q - units;
  if (found.differs <= need) return undefined;
  for (let u = found.matched + 1; u <= need; u++) {
    if (!matches(u)) {
      found.differs = u;
      return undefined;
    }
    found.matched = u;
  }
  // One unit: the ops after the repeat read the last instance's output as unit 0's. Two: the last unit and its
  // input (made by unit U - 2) as unit 1 and unit 0's output.
  const last =
    units === 1
      ? instanceRenamer(name, n - q, n, -(n - q))
      : instanceRenamer(name, n - q - 1, n, -(n - 2 * q));
  const kept = units === 1 ? starts[n]! : starts[n - q]!;
  const ops: KOp[] = [...k.ops.slice(0, starts[q]!), ...renamed(k.ops.slice(kept), last)];
  const used = new Set<string>();
  renamedJson(ops, (s) => {
    used.add(s);
    return s;
  });
  for (const o of k.outputs) used.add(last(o.tensor));
  const tensors: KTensor[] = [];
  for (const t of k.tensors) {
    // The units not kept are left out (renamed, their ids would be those of a kept unit).
    const i = instance(t.id);
    if (i >= q && i < (units === 1 ? n : n - q)) continue;
    const id = last(t.id);
    if (!used.has(id)) continue;
    tensors.push(id === t.id ? t : { ...t, id });
  }
  tensors.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return {
    repeat: r,
    units,
    kernel: {
      ...k,
      ops,
      tensors,
      outputs: k.outputs.map((o) => ({ ...o, tensor: last(o.tensor) })),
    },
  };
}
