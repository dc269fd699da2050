// The unit of "readable from" in the scheduler (placement.ts, relaxed.ts): a written tensor's column tile in pieces
// of PIPELINE_ROWS rows, a source's tile whole. In: the task graph's tensors; out: dense piece ids and the pieces a
// MEM step touches. Guarantees: a read waits for the writes of the rows it reads only, so a row-wise op's chunk goes
// on as soon as its own rows exist (tile.ts cuts row-wise ops in chunks of that many rows).
import type { TiledTensor, VecRef } from "../passes/task-ir.ts";
import { PIPELINE_ROWS } from "../passes/tile-context.ts";

export class RowPieces {
  /** Per tensor its first piece id and pieces per column tile. */
  private readonly base = new Map<string, { readonly first: number; readonly pieces: number }>();
  /** Pieces in all. */
  readonly count: number;

  constructor(tensors: readonly TiledTensor[]) {
    let count = 0;
    for (const t of tensors) {
      // A source is never written: one piece per tile keeps the ids of large weights few.
      const pieces = t.source ? 1 : Math.max(1, Math.ceil(t.rows / PIPELINE_ROWS));
      this.base.set(t.id, { first: count, pieces });
      count += t.tiles * pieces;
    }
    this.count = count;
  }

  /** The pieces `ref` touches as [first, end): its rows' (a stride-0 ref reads row `ref.row` only), or with
   * `whole` every piece of its tile (a gather's rows are data). */
  range(ref: VecRef, whole = false): readonly [number, number] {
    const b = this.base.get(ref.tensor)!;
    const tile0 = b.first + ref.tile * b.pieces;
    if (whole || b.pieces === 1) return [tile0, tile0 + b.pieces];
    const last = ref.stride === 0 ? ref.row : ref.row + ref.n - 1;
    return [
      tile0 + Math.min(b.pieces - 1, Math.floor(ref.row / PIPELINE_ROWS)),
      tile0 + Math.min(b.pieces - 1, Math.floor(last / PIPELINE_ROWS)) + 1,
    ];
  }
}
