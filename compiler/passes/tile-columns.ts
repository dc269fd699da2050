// A matmul split by output columns over consecutive chips (partition.ts's nSplits) -> MXM tasks: each chip
// computes its column tiles whole from its own weight rows (over its idle planes where that gains: plane-split.ts)
// and sends the finished tiles to chip 0 (from another node, chip 0 copies them in over the gateways).
// Guarantees chip 0's copy of the output holds every tile, in the output type, after the recv tasks; or, for a
// model output no op reads, that each chip's part (`outputParts`) holds its tiles, and nothing is sent.
import { besideTiles, type PartSplit, partedTensors, partId } from "./in-place.ts";
import type { KOp } from "./kernel-ir.ts";
import { unreadOutputs } from "./pack.ts";
import type { PartitionedGraph } from "./partition.ts";
import { groupRows } from "./product-groups.ts";
import type { Step, TiledTensor } from "./task-ir.ts";
import { columnSplits, lowerColumnTile } from "./tile-column-planes.ts";
import { accumulatorType, bufferRows, type TileContext } from "./tile-context.ts";

/**
 * A column split: chip c of the stage computes output column tiles `n[c] .. n[c + 1] - 1` whole (every K tile,
 * from its own copy of `a` and its own rows of `b`, a weight copy holding only those rows) and sends the finished
 * tiles (the output type, not fp32 partial sums) to chip 0, which adds nothing: the receive writes the output.
 * partition.ts splits only plain products this way (no band, window, diagonal or K-tile mask; one batch).
 */
export function lowerColumns(
  cx: TileContext,
  op: Extract<KOp, { kind: "matmul" }>,
  n: readonly number[],
): void {
  const { byId, lanes, machine, rowsOf } = cx;
  const a0 = byId.get(op.a)!;
  const b0 = byId.get(op.b)!;
  const out = byId.get(op.out)!;
  // As tile-matmul.ts (product-groups.ts `groupRows`): row chunks for a chain of K tiles, whole rows for one tile.
  const whole = Math.min(a0.blockRows, out.blockRows, machine.mxm.accumulatorRows);
  const chunk = groupRows(a0.tiles, whole);
  const acc = accumulatorType(a0.type);
  const sendRows = bufferRows(machine, out.type);
  const kept = partsOf(cx.p).has(out.id);
  const readers = kept ? cx.p.kernel.ops.filter((o) => o.kind === "matmul" && o.a === op.a) : [];
  // Whether chip c of the split is in the node of its chip 0 (a heavy product's split may run into the next node).
  const base = cx.p.stageOf.get(op.id)?.base ?? 0;
  const node = Math.min(machine.system.chipsPerNode, machine.system.localLinksPerChip + 1);
  const sameNode = (c: number) => Math.floor((base + c) / node) === Math.floor(base / node);
  for (let c = 0; c + 1 < n.length; c++) {
    const [n0, n1] = [n[c]!, n[c + 1]!];
    const a = cx.onChip(a0, c);
    const first = n0 * lanes;
    const count = Math.min(n1 * lanes, b0.rows) - first;
    const b = columnRows(cx, b0, first, count, c);
    const dst = c === 0 && !kept ? out : cx.temp(out, partId(out.id, c), out.type, c);
    const splits = columnSplits(machine, a0, b0, {
      tiles: n1 - n0,
      chunks: Math.ceil(a0.rows / chunk),
      rows: Math.min(chunk, a0.rows),
      beside: kept ? besideTiles(readers, op, (o) => keptSplit(cx.p, o), c) : 0,
    });
    for (let j = n0; j < n1; j++) {
      const nRows = Math.min(lanes, b0.rows - j * lanes);
      for (let m0 = 0; m0 < a0.rows; m0 += chunk) {
        const mn = Math.min(chunk, a0.rows - m0);
        const weights = (i: number) => rowsOf(b.id, i, (j - n0) * lanes, nRows);
        lowerColumnTile(cx, {
          op,
          chip: c,
          a,
          weightType: b.type,
          weights,
          dst,
          j,
          rows: [m0, mn],
          acc,
          splits,
        });
        if (c === 0 || kept) continue;
        if (sameNode(c)) {
          // The finished rows to chip 0 in buffer-sized pieces, over their local link.
          cx.toChip0(op.id, dst, out, out.type, [j, m0, mn], c, sendRows);
          continue;
        }
        // From another node: chip 0 copies them into the output (through the VXM, times 1: exact), and stages.ts
        // moves them over the gateways.
        const ref = (id: string) => rowsOf(id, j, m0, mn);
        const copy: Step[] = [
          { kind: "read", ref: ref(dst.id), type: out.type },
          { kind: "vbinary", fn: "mul", type: out.type, a: 0, b: { imm: 1 }, n: mn },
          { kind: "write", ref: ref(out.id), type: out.type, src: 1 },
        ];
        cx.push({ id: `${op.id}.n${j}.m${m0}.c${c}.copy`, op: op.id, steps: copy }, [], 0);
      }
    }
  }
}

/** Where product o's output is kept in parts (its column split), when it is. */
function keptSplit(p: PartitionedGraph, o: KOp): PartSplit | undefined {
  const bounds = p.nSplits?.get(o.id);
  const base = p.stageOf.get(o.id)?.base;
  return bounds && base !== undefined && partsOf(p).has(o.out) ? { base, bounds } : undefined;
}

const partsCache = new WeakMap<PartitionedGraph, ReadonlyMap<string, readonly string[]>>();

/** The model outputs split by columns and left in place: each output tensor -> its parts, one per chip of the
 * split in order (the output tensor itself is then never written: tile.ts drops it). */
export function outputParts(p: PartitionedGraph): ReadonlyMap<string, readonly string[]> {
  const got = partsCache.get(p);
  if (got) return got;
  const unread = unreadOutputs(
    p.kernel.ops,
    p.kernel.outputs.map((o) => o.tensor),
  );
  const parts = new Map<string, readonly string[]>();
  for (const op of p.kernel.ops) {
    const n = p.nSplits?.get(op.id);
    if (op.kind !== "matmul" || !n || !unread.has(op.out)) continue;
    parts.set(
      op.out,
      Array.from({ length: n.length - 1 }, (_, c) => partId(op.out, c)),
    );
  }
  partsCache.set(p, parts);
  return parts;
}

const allParts = new WeakMap<PartitionedGraph, ReadonlyMap<string, readonly string[]>>();

/** Every tensor held in parts, each -> its parts, one per chip of its split in order (chip c's tiles, written with
 * the tensor's tile numbers, so an output part's regions are named by them: emit/program.ts): the outputs left in
 * place (`outputParts`) and the tensors the placement keeps where they are made (in-place.ts `partedTensors`).
 * The whole tensor is never written: tile.ts drops it. */
export function partsOf(p: PartitionedGraph): ReadonlyMap<string, readonly string[]> {
  const got = allParts.get(p);
  if (got) return got;
  const parts = new Map(outputParts(p));
  const tensors = new Map(p.kernel.tensors.map((t) => [t.id, t]));
  const kept = partedTensors(
    p.kernel.ops,
    tensors,
    (i) => {
      const op = p.kernel.ops[i]!;
      const st = p.stageOf.get(op.id);
      return st && { ...st, nBounds: p.nSplits?.get(op.id), kBounds: p.kSplits?.get(op.id) };
    },
    new Set(p.kernel.outputs.map((o) => o.tensor)),
  );
  for (const [x, s] of kept)
    parts.set(
      x,
      Array.from({ length: s.bounds.length - 1 }, (_, c) => partId(x, c)),
    );
  allParts.set(p, parts);
  return parts;
}

/** Rows `first .. first + count - 1` of weight t as a tensor of their own on chip `chip` of the stage (the emitter
 * loads just those rows: TensorSource.rows). A weight that is itself rows of a source (KernelBuilder `sourceRows`:
 * one moe expert's rows of the stacked transposed weights) takes those rows of its own rows: its `first` and `at`
 * shift them (without, every chip of an expert's split loaded the rows of expert 0's first chips). */
function columnRows(
  cx: TileContext,
  t: TiledTensor,
  first: number,
  count: number,
  chip: number,
): TiledTensor {
  const id = `${t.id}.rows${first}+${count}`;
  let c = cx.byId.get(id);
  if (!c) {
    const own = t.source?.rows;
    const lo = own ? Math.max(first, own.at) : first;
    const hi = own ? Math.min(first + count, own.at + own.count) : first + count;
    const rows = { first: (own ? own.first - own.at : 0) + lo, count: Math.max(0, hi - lo), at: lo - first };
    const source = t.source ? { ...t.source, rows } : undefined;
    c = { ...t, id, rows: count, chip, source };
    cx.tensors.push(c);
    cx.byId.set(id, c);
  }
  return c;
}
