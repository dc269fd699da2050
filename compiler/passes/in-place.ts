// Products kept where they are made (issue 4, llama2-70b-fp8's MLP): kernel ops and each op's placement -> the
// computed tensors held as parts, chip c of a split holding column tiles `bounds[c] .. bounds[c + 1] - 1` (made by a
// column-split product or by an elementwise op split by the same ranges) and read only there: by elementwise ops
// split alike and by a K split taking the same ranges as its K tiles. Guarantees such a tensor never crosses a link.
import { DTYPE_BYTES } from "../graph/ir.ts";
import { type Item, item, keyPrefix } from "./chip-fill.ts";
import type { KOp, KTensor } from "./kernel-ir.ts";
import { opInputs } from "./kernel-ir.ts";
import { columnDemands, demands, kRange, type PackContext, type Placement } from "./pack.ts";

/** Where a tensor kept in parts lives: chip `base + c` holds column tiles `bounds[c] .. bounds[c + 1] - 1`. */
export interface PartSplit {
  readonly base: number;
  readonly bounds: readonly number[];
}

/** The id of chip c's part of tensor x (its tiles keep x's tile numbers). */
export function partId(x: string, c: number): string {
  return `${x}.c${c}`;
}

/** Whether op computes each column tile of its output from the same tile of each input, every input the output's
 * shape (no broadcast row, no repeated tile): an op that can be split by column ranges with its inputs. */
export function elementwise(op: KOp, tensors: ReadonlyMap<string, KTensor>): boolean {
  if (
    op.kind !== "convert" &&
    op.kind !== "unary" &&
    op.kind !== "binaryImm" &&
    op.kind !== "binary" &&
    op.kind !== "pointwise"
  )
    return false;
  if (op.kind === "binary" && op.bTile) return false;
  const out = tensors.get(op.out)!;
  return opInputs(op).every((x) => {
    const t = tensors.get(x)!;
    return t.rows === out.rows && t.cols === out.cols;
  });
}

const same = (a: readonly number[] | undefined, b: readonly number[]) =>
  a !== undefined && a.length === b.length && a.every((v, k) => v === b[k]);

/**
 * The tensors kept in parts under a placement (`placeOf(i)`: op i's). A candidate is the output of an op split by
 * columns (a product's column split or an elementwise op's, over two or more chips); it is kept when it is no model
 * output and every reader is an elementwise op split by the same ranges on the same chips or a matmul reading it as
 * `a` K-split by those ranges on those chips. An elementwise op split by columns whose computed inputs are not all
 * kept is a placement error (the partitioner places them together: `inPlaceGroup`).
 */
export function partedTensors(
  ops: readonly KOp[],
  tensors: ReadonlyMap<string, KTensor>,
  placeOf: (i: number) => Placement | undefined,
  outputs: ReadonlySet<string>,
): Map<string, PartSplit> {
  const split = new Map<string, PartSplit>();
  ops.forEach((op, i) => {
    const p = placeOf(i);
    if (p?.nBounds && p.width > 1 && !outputs.has(op.out))
      split.set(op.out, { base: p.base, bounds: p.nBounds });
  });
  if (split.size === 0) return split;
  const kept = new Map(split);
  ops.forEach((op, i) => {
    const p = placeOf(i);
    for (const x of opInputs(op)) {
      const s = split.get(x);
      if (!s) continue;
      const ok =
        p?.base === s.base &&
        (elementwise(op, tensors)
          ? same(p.nBounds, s.bounds)
          : op.kind === "matmul" &&
            op.a === x &&
            op.b !== x &&
            !op.kTiles &&
            !op.bLayout &&
            !(op.epilogue ?? []).some((e) => e.kind === "row" && e.b === x) &&
            same(p.kBounds, s.bounds));
      if (!ok) kept.delete(x);
    }
  });
  return kept;
}

/** Column tiles on chip c of the other products beside `op` (a column split kept in parts, `splitOf`): those of
 * the same input (`readers`: the products reading it) over the same chips and column ranges, their outputs kept in
 * parts too (a heavy pair in place: up's beside gate's). Their chains hold the chip's MXM planes at the same time
 * (plane-split.ts `beside`). */
export function besideTiles(
  readers: readonly KOp[],
  op: KOp,
  splitOf: (o: KOp) => PartSplit | undefined,
  c: number,
): number {
  if (op.kind !== "matmul") return 0;
  const mine = splitOf(op);
  if (!mine) return 0;
  let n = 0;
  for (const o of readers) {
    if (o === op || o.kind !== "matmul" || o.a !== op.a) continue;
    const s = splitOf(o);
    if (s && s.base === mine.base && same(s.bounds, mine.bounds)) n += s.bounds[c + 1]! - s.bounds[c]!;
  }
  return n;
}

/** A heavy pair's MLP kept in place: `gate` and `up` (products of the same input), the elementwise ops after them
 * that read only their outputs and each other's (`chain`, in order), and the product `down` reading the chain's last
 * output as its `a`. */
export interface InPlaceGroup {
  readonly gate: number;
  readonly up: number;
  readonly chain: readonly number[];
  readonly down: number;
}

/**
 * The group of ops a sibling pair (gate `i`, up `j`, both column-splittable products of one input) makes, when every
 * tensor between them and down stays in the group: gate's and up's outputs of one shape, read (with what the chain
 * makes of them) only by the chain's elementwise ops and, the last of them, by one product as its `a`. Undefined
 * otherwise (then the pair is placed as before).
 */
export function inPlaceGroup(ctx: PackContext, i: number, j: number): InPlaceGroup | undefined {
  const [gate, up] = [ctx.ops[i]!, ctx.ops[j]!];
  if (gate.kind !== "matmul" || up.kind !== "matmul") return undefined;
  const [g, u] = [ctx.tensors.get(gate.out)!, ctx.tensors.get(up.out)!];
  if (g.rows !== u.rows || g.cols !== u.cols) return undefined;
  const held = new Set([gate.out]);
  const chain: number[] = [];
  let down = -1;
  let last = gate.out;
  for (let k = i + 1; k < ctx.ops.length; k++) {
    if (k === j) {
      held.add(up.out);
      continue;
    }
    const op = ctx.ops[k]!;
    const reads = opInputs(op).filter((x) => held.has(x));
    if (reads.length === 0) continue;
    const temps = opInputs(op).filter((x) => ctx.tensors.get(x)!.role === "temp");
    if (elementwise(op, ctx.tensors) && temps.every((x) => held.has(x))) {
      chain.push(k);
      held.add(op.out);
      last = op.out;
      continue;
    }
    if (
      op.kind === "matmul" &&
      reads.length === 1 &&
      op.a === last &&
      op.b !== last &&
      !op.kTiles &&
      !op.bLayout &&
      !(op.epilogue ?? []).some((e) => e.kind === "row" && e.b === last)
    ) {
      // A read after down would need the tensor back: lastUse, below.
      down = k;
      break;
    }
    return undefined;
  }
  if (down < j || !chain.some((k) => opInputs(ctx.ops[k]!).includes(up.out))) return undefined;
  // Every tensor of the group is read inside it (lastUse at most down), none is a model output.
  for (const x of held) if ((ctx.lastUse.get(x) ?? -1) > down) return undefined;
  // Down's K tiles are the held tensor's column tiles: every chip of a split then has a range of both.
  if (Math.ceil(ctx.tensors.get(last)!.cols / ctx.lanes) !== Math.ceil(g.cols / ctx.lanes)) return undefined;
  return { gate: i, up: j, chain, down };
}

/** The group's placements over chips `base .. base + width - 1`, even shares of the held tensors' column tiles (as
 * gate's and up's column splits, the chain's ranges and down's K tiles), by op index. `larger`: the chips (from
 * `base`) that take the shares one tile larger when the tiles do not divide evenly (spread-experts.ts
 * `ExpertNodes.larger`); kRange's otherwise. */
export function groupPlacements(
  ctx: PackContext,
  g: InPlaceGroup,
  base: number,
  width: number,
  larger?: (tiles: number) => ReadonlySet<number> | undefined,
): Map<number, Placement> {
  const out = ctx.tensors.get(ctx.ops[g.gate]!.out)!;
  const tiles = Math.ceil(out.cols / ctx.lanes);
  const bounds = [0];
  const big = larger?.(tiles);
  for (let c = 0; c < width; c++)
    bounds.push(
      big ? bounds[c]! + Math.floor(tiles / width) + (big.has(c) ? 1 : 0) : kRange(0, tiles, c, width)[1],
    );
  if (bounds[width] !== tiles)
    throw new Error(`groupPlacements: shares of ${bounds[width]} tiles, not ${tiles}`);
  const columns: Placement = { base, width, nBounds: bounds };
  const m = new Map<number, Placement>([
    [g.gate, columns],
    [g.up, columns],
  ]);
  for (const k of g.chain) m.set(k, columns);
  m.set(g.down, { base, width, kBounds: bounds });
  return m;
}

/** The SRAM items an op placed in a group puts on each of its chips (chip-fill.ts), parts keyed as tile.ts names
 * them: a column split's own tiles kept, an elementwise op's ranges of its inputs and output, down's K tiles of `a`
 * read from the chip's part. */
export function groupItems(ctx: PackContext, i: number, p: Placement): Item[][] {
  const op = ctx.ops[i]!;
  if (op.kind === "matmul" && p.nBounds) return columnDemands(ctx, i, p.nBounds, true);
  if (op.kind === "matmul") {
    const a = `${op.a}/`;
    return demands(ctx, i, p.kBounds).map((items, c) => {
      const part = partId(op.a, c);
      const partNumber = keyPrefix(part);
      return items.map((it) =>
        it.key.startsWith(a)
          ? item(part, Number(it.key.slice(a.length)), it.bytes, it.pinned, it.elem, it.until, partNumber)
          : it,
      );
    });
  }
  const n = p.nBounds!;
  const perChip: Item[][] = [];
  for (let c = 0; c + 1 < n.length; c++) {
    const items: Item[] = [];
    for (const x of [...opInputs(op), op.out]) {
      const t = ctx.tensors.get(x)!;
      const e = DTYPE_BYTES[t.dtype];
      const name = t.role === "temp" ? partId(x, c) : x;
      const number = keyPrefix(name);
      for (let j = n[c]!; j < n[c + 1]!; j++)
        items.push(
          item(name, j, t.rows * ctx.lanes * e, t.role !== "temp", e, ctx.lastUse.get(x) ?? i, number),
        );
    }
    perChip.push(items);
  }
  return perChip;
}
