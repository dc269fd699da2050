// Part of `tile`: which column tiles of each VXM op's result (binary, binaryImm, unary, convert, pointwise, a row
// copy) some reader reads. In: the kernel IR's ops and tensors' tile counts; out: per such result, the range of tiles to
// compute. A tile nothing reads is not computed: an attention head's masked query is read by its scores' product
// over the tiles holding the head's lanes only (`kTiles`), one of a 768-lane row's three, one or two of 4096's 13.
// Guarantees: every tile any op reads of such a result lies in its range (a matmul's `a` over its kTiles, everything
// else whole, a VXM op's inputs over the tiles of its own range), so no value read changes; model outputs are whole.
import { assertNever } from "../../util/assert.ts";
import { repeatedTile } from "./kernel-builder.ts";
import type { KernelGraph, KOp } from "./kernel-ir.ts";
import { opInputs } from "./kernel-ir.ts";
import { inputView } from "./pointwise-ir.ts";

/** Tiles j0 <= j < j1 of a result. */
export interface TileRange {
  readonly j0: number;
  readonly j1: number;
}

/**
 * The range of tiles to compute per VXM op result whose readers need fewer than all of its tiles (absent: all).
 * `split` names ops run by column ranges on several chips (partition.ts nSplits): kept whole, and so are their
 * inputs. A result nobody reads keeps all its tiles (as before: such an op is left as it is).
 */
export function liveTiles(
  k: KernelGraph,
  tiles: (tensor: string) => number,
  split: (op: string) => boolean,
  unreadZeros: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
): Map<string, TileRange> {
  const shapes = new Map(k.tensors.map((t) => [t.id, t]));
  /** Per tensor, the lowest and one past the highest tile some reader reads (absent: none read yet). */
  const need = new Map<string, [number, number]>();
  const read = (x: string, j0: number, j1: number) => {
    if (j1 <= j0) return;
    const r = need.get(x);
    need.set(x, r ? [Math.min(r[0], j0), Math.max(r[1], j1)] : [j0, j1]);
  };
  const whole = (x: string) => read(x, 0, tiles(x));
  for (const o of k.outputs) whole(o.tensor);
  const out = new Map<string, TileRange>();
  for (let i = k.ops.length - 1; i >= 0; i--) {
    const op = k.ops[i]!;
    const range = computed(op);
    if (range) out.set(op.out, range);
    const [j0, j1] = range ? [range.j0, range.j1] : [0, tiles(op.out)];
    switch (op.kind) {
      case "matmul": {
        const [k0, k1] = op.kTiles ?? [0, tiles(op.a)];
        if (op.bLayout?.kind === "diagonal") whole(op.a);
        else read(op.a, k0, k1);
        whole(op.b);
        // An epilogue's row is read at the product's tiles it makes: not at its unread zero tiles (tile-matmul.ts),
        // so a head's masked p . V reads the new value's row at the head's own tiles only.
        const unread = unreadZeros.get(op.out);
        const made = [...Array(tiles(op.out)).keys()].filter((j) => !unread?.has(j));
        for (const e of op.epilogue ?? [])
          if (e.kind === "row") {
            if (shapes.get(e.b)!.cols !== shapes.get(op.out)!.cols) whole(e.b);
            else if (made.length > 0) read(e.b, made[0]!, made[made.length - 1]! + 1);
          }
        break;
      }
      case "binary":
      case "binaryImm":
      case "unary":
      case "convert":
      case "pointwise": {
        const o = shapes.get(op.out)!;
        if (op.kind === "pointwise" && op.inputTiles) {
          // A fold of column tiles reads each input at its own tile (pointwise-ir.ts `inputTiles`).
          for (const [i, x] of op.inputs.entries()) read(x, op.inputTiles[i]!, op.inputTiles[i]! + 1);
          break;
        }
        for (const x of opInputs(op)) {
          const t = shapes.get(x)!;
          const repeated =
            op.kind === "binary" ? op.bTile === true && x === op.b : inputView(t, o).tileRepeated;
          if (repeated) read(x, repeatedTile(j0, t, o), repeatedTile(j1 - 1, t, o) + 1);
          else read(x, j0, j1);
        }
        break;
      }
      case "copyRows":
        // A row copy (attention's stacked query heads) copies only the tiles its readers read.
        for (const x of opInputs(op)) read(x, j0, j1);
        break;
      case "gather":
        for (const x of opInputs(op)) whole(x);
        break;
      default:
        assertNever(op, "kernel op");
    }
  }
  return out;

  /** The tiles a VXM op computes when its readers need fewer than all; undefined otherwise. */
  function computed(op: KOp): TileRange | undefined {
    const vxm =
      op.kind === "binary" ||
      op.kind === "binaryImm" ||
      op.kind === "unary" ||
      op.kind === "convert" ||
      op.kind === "pointwise" ||
      op.kind === "copyRows";
    const r = need.get(op.out);
    if (!vxm || split(op.id) || !r || (r[0] === 0 && r[1] === tiles(op.out))) return undefined;
    return { j0: r[0], j1: r[1] };
  }
}
