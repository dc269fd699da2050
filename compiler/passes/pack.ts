// The partitioner's SRAM estimate and stage packing: kernel ops in order -> a pipeline stage (a range of chips in
// one node) per op, with the fewest chips this greedy packing needs. The bytes it counts on a chip are what
// `allocate` will place there: a parameter, state or input tile once per chip that reads it (copies on other
// chips counted there), and temporaries by their lifetimes (space is reused after a tensor's last reader), per
// element size, since allocate's free lists are per slice group and a group holds one element size.
import { ELEM_BYTES } from "../../arch/isa.ts";
import { DTYPE_BYTES } from "../graph/ir.ts";
import { type KOp, type KTensor, opInputs } from "./kernel-ir.ts";

/** A pipeline stage: chips `base .. base + width - 1`, all in one node; its ops' K splits use them. */
export interface Stage {
  readonly base: number;
  readonly width: number;
}

export interface Packing {
  readonly ok: boolean;
  readonly why: string;
  readonly chips: number;
  readonly stages: readonly Stage[];
  /** Estimated SRAM bytes of each chip used (index = chip), the same count the packing checked. */
  readonly chipBytes: readonly number[];
}

export interface PackContext {
  readonly ops: readonly KOp[];
  readonly tensors: ReadonlyMap<string, KTensor>;
  readonly lanes: number;
  /** MXM planes: a matmul with fewer output tiles than planes drains one fp32 partial sum per plane it uses. */
  readonly planes: number;
  /** Bytes a chip may fill. */
  readonly budget: number;
  readonly nodeChips: number;
  /** Rows a matmul's output chunk may have (tile.ts: at most the accumulator's rows). */
  readonly chunkRows: number;
  /** Index of the last op reading each tensor (model outputs: never freed). */
  readonly lastUse: ReadonlyMap<string, number>;
}

export function packContext(
  ops: readonly KOp[],
  tensors: ReadonlyMap<string, KTensor>,
  outputs: readonly string[],
  m: { lanes: number; planes: number; budget: number; nodeChips: number; chunkRows: number },
): PackContext {
  const lastUse = new Map<string, number>();
  ops.forEach((op, i) => {
    for (const x of opInputs(op)) lastUse.set(x, i);
  });
  for (const o of outputs) lastUse.set(o, Number.POSITIVE_INFINITY);
  return { ops, tensors, ...m, lastUse };
}

/** What one op puts on one chip of its stage. `key` (`tensor/tile`) is counted once per chip. */
interface Item {
  readonly key: string;
  readonly bytes: number;
  /** Sources stay for the whole program; a temporary is freed after op `until`. */
  readonly pinned: boolean;
  readonly elem: number;
  readonly until: number;
}

/** SRAM a chip holds as ops join it: pinned bytes, and per element size the peak of live temporaries. */
class ChipFill {
  pinned = 0;
  readonly counted = new Set<string>();
  private readonly live = new Map<number, { bytes: number; until: number }[]>();
  private readonly liveBytes = new Map<number, number>();
  private readonly peak = new Map<number, number>();

  total(): number {
    let t = this.pinned;
    for (const p of this.peak.values()) t += p;
    return t;
  }

  /** Bytes this chip would hold with `items` of op `at` added (nothing changes). */
  totalWith(items: readonly Item[], at: number): number {
    let pinned = this.pinned;
    const add = new Map<number, number>();
    for (const it of items) {
      if (this.counted.has(it.key)) continue;
      if (it.pinned) pinned += it.bytes;
      else add.set(it.elem, (add.get(it.elem) ?? 0) + it.bytes);
    }
    let t = pinned;
    const elems = new Set([...this.peak.keys(), ...add.keys()]);
    for (const e of elems) {
      let now = add.get(e) ?? 0;
      for (const l of this.live.get(e) ?? []) if (l.until >= at) now += l.bytes;
      t += Math.max(this.peak.get(e) ?? 0, now);
    }
    return t;
  }

  add(items: readonly Item[], at: number): void {
    for (const [e, list] of this.live) {
      const keep = list.filter((l) => l.until >= at);
      if (keep.length !== list.length) {
        this.live.set(e, keep);
        this.liveBytes.set(
          e,
          keep.reduce((s, l) => s + l.bytes, 0),
        );
      }
    }
    for (const it of items) {
      if (this.counted.has(it.key)) continue;
      this.counted.add(it.key);
      if (it.pinned) {
        this.pinned += it.bytes;
        continue;
      }
      const list = this.live.get(it.elem) ?? this.live.set(it.elem, []).get(it.elem)!;
      list.push({ bytes: it.bytes, until: it.until });
      const now = (this.liveBytes.get(it.elem) ?? 0) + it.bytes;
      this.liveBytes.set(it.elem, now);
      this.peak.set(it.elem, Math.max(this.peak.get(it.elem) ?? 0, now));
    }
  }
}

/** K tiles of a matmul's `a` that chip `c` of `n` takes (tile.ts splits them the same way). */
export function kRange(kFirst: number, kTiles: number, c: number, n: number): readonly [number, number] {
  return [kFirst + Math.floor((c * kTiles) / n), kFirst + Math.floor(((c + 1) * kTiles) / n)];
}

/** Chips a matmul of a stage `width` chips wide splits its K tiles over. */
export function matmulWidth(op: Extract<KOp, { kind: "matmul" }>, a: KTensor, lanes: number, width: number) {
  const [k0, k1] = op.kTiles ?? [0, Math.ceil(a.cols / lanes)];
  return Math.max(1, Math.min(width, k1 - k0));
}

/** The items op `i` puts on each chip of a stage `width` chips wide (index = chip in the stage). */
function demands(ctx: PackContext, i: number, width: number): Item[][] {
  const op = ctx.ops[i]!;
  const { lanes, tensors } = ctx;
  const bytesPerTile = (t: KTensor) => t.rows * lanes * DTYPE_BYTES[t.dtype];
  const tilesOf = (t: KTensor) => Math.ceil(t.cols / lanes);
  const input = (t: KTensor, tile: number): Item => ({
    key: `${t.id}/${tile}`,
    bytes: bytesPerTile(t),
    pinned: t.role !== "temp",
    elem: DTYPE_BYTES[t.dtype],
    until: ctx.lastUse.get(t.id) ?? i,
  });
  const whole = (t: KTensor): Item[] => Array.from({ length: tilesOf(t) }, (_, j) => input(t, j));
  const out = tensors.get(op.out)!;
  const outItems = whole(out).map((it) => ({ ...it, until: ctx.lastUse.get(out.id) ?? i }));
  if (op.kind !== "matmul") {
    const items = [...opInputs(op).flatMap((x) => whole(tensors.get(x)!)), ...outItems];
    return [items, ...Array.from({ length: width - 1 }, () => [])];
  }
  const a = tensors.get(op.a)!;
  const b = tensors.get(op.b)!;
  const [kFirst, kEnd] = op.kTiles ?? [0, tilesOf(a)];
  const n = matmulWidth(op, a, lanes, width);
  const nTiles = tilesOf(out);
  const lay = op.bLayout;
  const partial = (id: string): Item => ({
    key: id,
    bytes: out.rows * nTiles * lanes * ELEM_BYTES.fp32,
    pinned: false,
    elem: ELEM_BYTES.fp32,
    until: i,
  });
  // Output column tiles that run on the MXM, in accumulator-sized row chunks; fewer than the planes: K split
  // over planes too, each drawing a partial sum (tile.ts `splitsOn`).
  const groups = nTiles * Math.ceil(a.rows / ctx.chunkRows);
  const perChip: Item[][] = [];
  for (let c = 0; c < width; c++) {
    if (c >= n) {
      perChip.push([]);
      continue;
    }
    const [k0, k1] = kRange(kFirst, kEnd - kFirst, c, n);
    const items: Item[] = [];
    for (let t = k0; t < k1; t++) {
      items.push(input(a, t));
      items.push(input(b, lay?.kind === "band" ? t - kFirst : t));
    }
    const splits = groups < ctx.planes ? Math.max(1, Math.min(k1 - k0, Math.floor(ctx.planes / groups))) : 1;
    if (n > 1 || splits > 1) for (let s = 0; s < splits; s++) items.push(partial(`${out.id}.c${c}.part${s}`));
    if (n > 1 && splits > 1) items.push(partial(`${out.id}.c${c}.sum`));
    if (c === 0) {
      for (let r = 1; r < n; r++) items.push(partial(`${out.id}.from${r}`));
      for (const e of op.epilogue ?? []) if (e.kind === "row") items.push(...whole(tensors.get(e.b)!));
      items.push(...outItems);
    }
    perChip.push(items);
  }
  return perChip;
}

/** A stage `width` chips wide filled from op `from` until the next op would pass the budget (or a cut). */
function growStage(ctx: PackContext, from: number, width: number, cuts: ReadonlySet<number>) {
  const fills = Array.from({ length: width }, () => new ChipFill());
  let end = from;
  for (; end < ctx.ops.length; end++) {
    if (end > from && cuts.has(end)) break;
    const d = demands(ctx, end, width);
    if (d.some((items, c) => items.length > 0 && fills[c]!.totalWith(items, end) > ctx.budget)) break;
    d.forEach((items, c) => {
      fills[c]!.add(items, end);
    });
  }
  return { end, fills, bytes: fills.reduce((s, f) => s + f.total(), 0) };
}

/**
 * Consecutive ops fill a stage until the next would pass the budget on one of its chips; a matmul in a stage of
 * several chips splits its K tiles over them. Each new stage takes the width (and, when it would not fit in what
 * is left of the node, the next node) that packs the most bytes per chip spent, ties to the narrower: an op larger
 * than a chip forces a wider stage, and a wide stage whose chips fill evenly beats a narrow one that strands space.
 * A stage never straddles two nodes, so partial sums use local links.
 */
export function packStages(ctx: PackContext, cuts: ReadonlySet<number> = new Set()): Packing {
  const stages: Stage[] = [];
  const chipBytes: number[] = [];
  let base = 0;
  let i = 0;
  while (i < ctx.ops.length) {
    let best: { w: number; skip: number; end: number; fills: ChipFill[]; score: number } | undefined;
    const pos = base % ctx.nodeChips;
    const options: { w: number; skip: number }[] = [];
    for (let w = 1; w <= ctx.nodeChips - pos; w++) options.push({ w, skip: 0 });
    if (pos > 0)
      for (let w = ctx.nodeChips - pos + 1; w <= ctx.nodeChips; w++)
        options.push({ w, skip: ctx.nodeChips - pos });
    for (const { w, skip } of options) {
      const g = growStage(ctx, i, w, cuts);
      if (g.end === i) continue;
      const score = g.bytes / (w + skip);
      // A wider stage must pack clearly more per chip (1%): a narrow stage needs fewer link transfers.
      if (!best || score > best.score * 1.01) best = { w, skip, end: g.end, fills: g.fills, score };
    }
    if (!best)
      return {
        ok: false,
        why: `op '${ctx.ops[i]!.id}' needs more than one node's SRAM`,
        chips: 0,
        stages,
        chipBytes,
      };
    for (let s = 0; s < best.skip; s++) chipBytes.push(0);
    base += best.skip;
    for (const f of best.fills) chipBytes.push(f.total());
    for (let k = i; k < best.end; k++) stages.push({ base, width: best.w });
    base += best.w;
    i = best.end;
  }
  return { ok: true, why: "", chips: Math.max(1, base), stages, chipBytes };
}
