// A matmul's K split for the packing on one stage (partition.ts `pack`): a matmul and the machine -> over how many
// chips its K tiles are split (1 = none), by an estimate of cycles with the partial sums' link trip.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { linkWordTime, mxmCyclesPerVector } from "../schedule/timing.ts";
import type { KOp, KTensor } from "./kernel-ir.ts";

/**
 * Chips to split a matmul's K tiles over (1 = none): the count with the fewest estimated cycles. Per chip the
 * MXM planes take the weight tiles in turn, each costing the larger of its weight load (one row per cycle) and its
 * activations (rows x cycles per vector); a split adds the partial sums' trip (fp32, every output row and column
 * tile, serialised on one link, plus the link latency) and, for a computed activation, the trip of its K tiles
 * to the other chips. An estimate for the choice only; the scheduler's cycles are exact.
 */
export function bestSplit(
  op: Extract<KOp, { kind: "matmul" }>,
  tensors: ReadonlyMap<string, KTensor>,
  m: Machine,
  maxChips: number,
): number {
  const a = tensors.get(op.a)!;
  const b = tensors.get(op.b)!;
  const kTiles = Math.ceil(a.cols / m.lanes);
  const nTiles = Math.ceil(b.rows / m.lanes);
  // A stored weight loads maxLoadWidth rows a cycle (allocate.ts spreads its blocks); a computed one, a row.
  const loadRows = Math.min(m.mxm.rows, b.rows);
  const load = b.role === "temp" ? loadRows : Math.ceil(loadRows / m.mxm.maxLoadWidth);
  const perTile = Math.max(load, a.rows * mxmCyclesPerVector(m, a.dtype));
  const { num, den } = linkWordTime(m);
  const wordCycles = num / den;
  const estimate = (n: number) => {
    const compute = Math.ceil((nTiles * Math.ceil(kTiles / n)) / m.mxm.planes) * perTile;
    if (n === 1) return compute;
    const partialWords = a.rows * nTiles * ELEM_BYTES.fp32;
    const inputWords = a.role === "temp" ? a.rows * Math.ceil(kTiles / n) * ELEM_BYTES[a.dtype] : 0;
    const trips = (inputWords > 0 ? 2 : 1) * m.c2c.latency;
    return compute + trips + (partialWords + inputWords) * wordCycles + a.rows * nTiles;
  };
  let best = 1;
  for (let n = 2; n <= maxChips; n++) if (estimate(n) < estimate(best)) best = n;
  return best;
}
