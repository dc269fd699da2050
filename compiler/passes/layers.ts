// The `layers` partition: kernel ops of a model with a `repeat` (decompose names instance i's ops `NAME.i.*`) ->
// a layer-regular placement: the ops before the first instance on the first chips, unit k of q instances on its own
// group of `width` chips (a whole number of nodes) with unit 0's internal placement translated by k * width, the
// ops after the last instance on the chips after the last group. Translating by whole nodes keeps every link number
// and route (stages.ts: links depend on a chip's position inside its node), so the groups are identical up to the
// chip numbers: what compiler/schedule/stamp.ts needs to schedule one instance and stamp it.
import { REPEAT_INSTANCE as INSTANCE, type KOp, opInputs } from "./kernel-ir.ts";
import {
  OUTPUT_NODES,
  type PackContext,
  type Packing,
  type Placement,
  packContext,
  packStages,
  sourceFloor,
} from "./pack.ts";
import { type SpreadTiming, spreadStages } from "./spread.ts";

/** Where a `repeat`'s instances are in the op list: ops `[starts[i], starts[i + 1])` are instance i, ops before
 * `starts[0]` the prefix, ops from `starts[count]` on the suffix. */
export interface Repeat {
  /** The block's name: instance i's ops and tensors are `name.i.*`. */
  readonly name: string;
  readonly count: number;
  readonly starts: readonly number[];
}

/** The `repeat` of the op list, when it has at least `fewest` instances, contiguous, in order, of equal op counts,
 * each reading computed tensors only of its own instance and of the one before it (or of the prefix, for instance
 * 0). One instance is a repeat only to place a reduced model (reduce-repeat.ts), never to stamp one. */
export function findRepeat(ops: readonly KOp[], fewest = 2): Repeat | undefined {
  // Asked of the same op list by auto's rule (deep-repeat.ts), the `layers` placement and reduce-repeat.ts: found
  // once (an op list is never changed once made).
  let r = REPEATS.get(ops);
  if (r === undefined) {
    r = repeatOf(ops) ?? null;
    REPEATS.set(ops, r);
  }
  return r && r.count >= fewest ? r : undefined;
}

/** Each op list's repeat (null: none), by findRepeat. */
const REPEATS = new WeakMap<readonly KOp[], Repeat | null>();

/** findRepeat's repeat of any count. */
function repeatOf(ops: readonly KOp[]): Repeat | undefined {
  const first = ops.findIndex((op) => INSTANCE.exec(op.id)?.[2] === "0");
  if (first < 0) return undefined;
  const name = INSTANCE.exec(ops[first]!.id)![1]!;
  const starts = [first];
  let i = first;
  for (; i < ops.length; i++) {
    const m = INSTANCE.exec(ops[i]!.id);
    if (!m || m[1] !== name) break;
    const k = Number(m[2]);
    if (k === starts.length) starts.push(i);
    else if (k !== starts.length - 1) return undefined;
  }
  const count = starts.length;
  starts.push(i);
  if (ops.slice(i).some((op) => INSTANCE.exec(op.id)?.[1] === name)) return undefined;
  const size = starts[1]! - starts[0]!;
  if (starts.some((s, k) => k > 0 && s - starts[k - 1]! !== size)) return undefined;
  // Which instance (or -1 prefix, count suffix) defines each computed tensor.
  const definedIn = new Map<string, number>();
  for (let k = -1, j = 0; j < ops.length; j++) {
    while (k < count && j >= (k < 0 ? starts[0]! : starts[k + 1]!)) k++;
    definedIn.set(ops[j]!.out, k);
  }
  for (let k = 0, j = starts[0]!; j < ops.length; j++) {
    while (k < count && j >= starts[k + 1]!) k++;
    for (const x of opInputs(ops[j]!)) {
      const d = definedIn.get(x);
      if (d === undefined || d === k) continue;
      if (d !== k - 1) return undefined;
    }
  }
  return { name, count, starts };
}

/** The instance of op `j` (-1 in the prefix, `count` in the suffix). */
export function instanceOf(r: Repeat, j: number): number {
  if (j < r.starts[0]!) return -1;
  for (let k = 0; k < r.count; k++) if (j < r.starts[k + 1]!) return k;
  return r.count;
}

/** The pack context of ops `[from, to)` alone: a tensor read after `to` (or a model output) is never freed. */
function slice(ctx: PackContext, from: number, to: number): PackContext {
  const ops = ctx.ops.slice(from, to);
  // Of the tensors the ops name, the only ones the slice's context is asked about (not every tensor of the model).
  const named = new Set(ops.flatMap((op) => [...opInputs(op), op.out]));
  const outputs = [...named].filter((x) => (ctx.lastUse.get(x) ?? -1) >= to);
  const { lanes, planes, budget, nodeChips, chunkRows, gateways } = ctx;
  const sub = packContext(ops, ctx.tensors, outputs, {
    lanes,
    planes,
    budget,
    nodeChips,
    chunkRows,
    gateways,
  });
  // Left in place only what the whole model leaves in place: a tensor the next unit reads is an output of the
  // slice that no op of the slice reads, but its column split must still send it back (tile-columns.ts decides on
  // the whole kernel), so the estimate must not place it over two nodes without the return trip.
  return { ...sub, leftInPlace: new Set([...sub.leftInPlace].filter((x) => ctx.leftInPlace.has(x))) };
}

/** Ops `[from, to)` on chips from 0: spread over the whole nodes the packing needs when the estimate fits them, else
 * packed; with the chips used (0 for no ops). */
function placeRange(
  ctx: PackContext,
  t: SpreadTiming,
  from: number,
  to: number,
  repeat: string,
): RangePlacement | undefined {
  if (from === to) return { stages: [] as Placement[], chips: 0, chipBytes: [] as number[] };
  const sub = slice(ctx, from, to);
  // A stamped compile places its unit twice, for the whole model (auto's rule, deep-repeat.ts) and for the reduced
  // one compile.ts schedules, whose unit 0 is the same ops: the second is the first's answer. So are the ops after
  // the repeat, which read the last instance's output in the whole model and unit 0's in the reduced one (its ids
  // renamed): the key numbers the repeat's instances in the order they first appear.
  const key = instancesRenumbered(rangeKey(sub, t), repeat);
  if (placed.has(key)) return placed.get(key);
  const got = placeRangeOf(sub, t);
  placed.set(key, got);
  if (placed.size > PLACED_KEPT) placed.delete(placed.keys().next().value!);
  return got;
}

interface RangePlacement {
  readonly stages: readonly Placement[];
  readonly chips: number;
  readonly chipBytes: readonly number[];
}

/** The last few ranges placed, by everything their placement depends on (rangeKey). */
const placed = new Map<string, RangePlacement | undefined>();
const PLACED_KEPT = 4;

/** What placeRangeOf reads: the ops, the tensors they name and when each computed one is last read (the slice's
 * other entries, every tensor of the model read after it, it never asks about), the outputs left in place, the
 * machine's numbers. */
function rangeKey(sub: PackContext, t: SpreadTiming): string {
  const { ops, tensors, lastUse, lanes, planes, budget, nodeChips, chunkRows, gateways } = sub;
  const ids = [...new Set(ops.flatMap((op) => [...opInputs(op), op.out]))];
  // A source only read here is pinned for the whole program (chip-fill.ts ChipFill): when it is last read cannot matter,
  // and a shared constant (llama's rotate-half) is read after a unit of the whole model but not of the reduced one.
  const outs = new Set(ops.map((op) => op.out));
  const until = (x: string) => (tensors.get(x)!.role === "temp" || outs.has(x) ? lastUse.get(x) : 0);
  const vector = [1, 2, 4].map((b) => t.cyclesPerVector(b));
  return JSON.stringify([
    ops,
    ids.map((x) => [tensors.get(x), until(x)]),
    [...sub.leftInPlace].sort(),
    [lanes, planes, budget, nodeChips, chunkRows, gateways],
    t,
    vector,
  ]);
}

/** `key` with each instance number of block `name` (`name.i.`, not inside another name) replaced by the order in
 * which it first appears: two ranges that differ only in which instances they name get one key. The placement
 * reads ids only to tell tensors apart (maps, sets, item keys), never to order them, so it is the same for both. */
function instancesRenumbered(key: string, name: string): string {
  const order = new Map<string, number>();
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return key.replace(new RegExp(`(?<![\\w.@])${escaped}\\.(\\d+)\\.`, "g"), (_, i: string) => {
    const k = order.get(i) ?? order.set(i, order.size).get(i)!;
    return `${name}.#${k}.`;
  });
}

function placeRangeOf(sub: PackContext, t: SpreadTiming): RangePlacement | undefined {
  const packed = packStages(sub);
  if (!packed.ok) return undefined;
  // A model output left in place (the lm head) may be split by columns over OUTPUT_NODES nodes (spread.ts): the
  // range gets the nodes for it beyond the packing's (the whole fp8 70b's tail: 8 -> 25 chips, -0.4%).
  const more = sub.leftInPlace.size > 0 ? OUTPUT_NODES - 1 : 0;
  const nodes = (Math.ceil(packed.chips / sub.nodeChips) + more) * sub.nodeChips;
  const spread = spreadStages(sub, t, nodes);
  const p: Packing = spread ?? packed;
  return { stages: p.stages, chips: p.chips, chipBytes: p.chipBytes };
}

export interface LayerPlacement extends Packing {
  /** First chip of instance 0's group, chips per group, chips of the suffix. */
  readonly groupBase: number;
  readonly groupWidth: number;
  /** Instances per group. */
  readonly unit: number;
  readonly suffixChips: number;
}

/** The `layers` strategy (partition.ts): the layer-regular placement of the ops, or why there is none. `unit`:
 * instances per group (absent: the fewest that fit the chips). */
export function layerPartition(
  ctx: PackContext,
  t: SpreadTiming,
  chips: number,
  unit?: number,
): { placement?: LayerPlacement; why: string } {
  // The reduced model of a stamped compile (`unit` given) may hold a single unit of a single instance.
  const r = findRepeat(ctx.ops, unit === undefined ? 2 : 1);
  if (!r)
    return {
      why: "it has no `repeat` whose instances are contiguous, of equal size and chained (each reads only the one before it)",
    };
  return layerStages(ctx, t, chips, r, unit);
}

/**
 * The layer-regular placement of every op, or why there is none. A unit of q consecutive instances (q = 1 when it
 * fits) is placed once (spread.ts over the whole nodes the packing needs, else packed) and every other unit takes
 * the same placement `width` chips further per unit; the prefix and the suffix are placed the same way on their own
 * nodes. q > 1 packs an instance that needs part of a node more tightly: units stay whole nodes, so translating one
 * keeps its links (llama2-70b-fp8's layer needs 5 chips: q = 1 takes 8 a layer, q = 4 takes 24 for four).
 */
export function layerStages(
  ctx: PackContext,
  t: SpreadTiming,
  chips: number,
  r: Repeat,
  unit?: number,
  /** The most instances a unit may take (absent: all of them); with it, no reason is given for no placement, so
   * none is placed to find one (deep-repeat.ts asks only for units it would stamp). */
  most?: number,
): { placement?: LayerPlacement; why: string } {
  const node = ctx.nodeChips;
  const roundUp = (c: number) => Math.ceil(c / node) * node;
  const prefix = placeRange(ctx, t, 0, r.starts[0]!, r.name);
  const suffix = placeRange(ctx, t, r.starts[r.count]!, ctx.ops.length, r.name);
  if (!prefix || !suffix) return { why: "an op needs more than one node's SRAM" };
  const groupBase = roundUp(prefix.chips);
  let why = "";
  // A unit takes at least one node: a q whose units cannot fit even so is not placed (placing a unit, a packing
  // and a spread, is most of this function's cost), unless every q fails and the first's width is the reason.
  let skipped: number | undefined;
  // The first q not placed since its units' sources alone need too many chips, when no reason came before it.
  let tooWide: number | undefined;
  const whyFor = (width: number, used: number) =>
    `${r.count} instances of '${r.name}' on ${width} chips each (whole nodes), after ${groupBase} for the ops before them and with ${suffix.chips} after, need ${used} chips (no unit of several instances on whole nodes fits either); ${chips} were given`;
  // The fewest chips a unit of q instances can take, however placed: the chips its sources fill (no chip holds
  // more than the budget; the margin keeps a rounding from counting one chip too many).
  const fewestChips = (q: number) =>
    Math.ceil(sourceFloor(slice(ctx, r.starts[0]!, r.starts[q]!)) / (ctx.budget * (1 + 1e-9)));
  // Units of q instances, q dividing the count, from the smallest: the first whose units fit the chips.
  for (let q = unit ?? 1; q <= (unit ?? Math.min(most ?? r.count, r.count)); q++) {
    if (r.count % q !== 0) continue;
    if (groupBase + (r.count / q) * node + suffix.chips > chips) {
      if (!why) skipped ??= q;
      continue;
    }
    const units = r.count / q;
    // Nor, in a search, one whose units cannot fit on the fewest chips that hold their sources (pack.ts
    // sourceFloor): the unit of two layers of llama2-70b-fp8 needs more than a node, so its 40 units 640 chips.
    if (unit === undefined && groupBase + units * roundUp(fewestChips(q)) + suffix.chips > chips) {
      if (!why && skipped === undefined) tooWide ??= q;
      continue;
    }
    const layer = placeRange(ctx, t, r.starts[0]!, r.starts[q]!, r.name);
    if (!layer) return { why: "an op needs more than one node's SRAM" };
    const width = roundUp(layer.chips);
    const used = groupBase + units * width + suffix.chips;
    if (used > chips) {
      if (skipped === undefined) why ||= whyFor(width, used);
      continue;
    }
    const size = r.starts[q]! - r.starts[0]!;
    const stages: Placement[] = [...prefix.stages];
    for (let k = 0; k < units; k++)
      for (let j = 0; j < size; j++) {
        const p = layer.stages[j]!;
        stages.push({ ...p, base: p.base + groupBase + k * width });
      }
    const suffixBase = groupBase + units * width;
    for (const p of suffix.stages) stages.push({ ...p, base: p.base + suffixBase });
    const chipBytes = new Array<number>(used).fill(0);
    prefix.chipBytes.forEach((b, c) => {
      chipBytes[c] = b;
    });
    for (let k = 0; k < units; k++)
      layer.chipBytes.forEach((b, c) => {
        chipBytes[groupBase + k * width + c] = b;
      });
    suffix.chipBytes.forEach((b, c) => {
      chipBytes[suffixBase + c] = b;
    });
    return {
      placement: {
        ok: true,
        why: "",
        chips: used,
        stages,
        chipBytes,
        groupBase,
        groupWidth: width,
        unit: q,
        suffixChips: suffix.chips,
      },
      why: "",
    };
  }
  const first = skipped ?? tooWide;
  if (first !== undefined && most === undefined) {
    const layer = placeRange(ctx, t, r.starts[0]!, r.starts[first]!, r.name);
    if (!layer) return { why: "an op needs more than one node's SRAM" };
    const width = roundUp(layer.chips);
    why = whyFor(width, groupBase + (r.count / first) * width + suffix.chips);
  }
  return { why };
}
