// embedding(ids, table) as kernel ops without a gather: each id is broadcast to V lanes on the MXM, compared with
// a lane index on the VXM to give a one-hot row (relu(1 - |v - id|), exact for integers), and the one-hot row times
// the table (stored transposed, one row per output lane) picks the table row exactly (one product by 1).
// Cost grows with V * D (every table tile passes the MXM), where a MEM gather would read one word per column tile:
// fine for small vocabularies; the gather needs a scheduler step kind that does not exist yet.
// Exact for ids below 2^19 (the id goes through the 16-bit MXM as bf16 hi + fp16 lo, both exact there).
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, LANES } from "./kernel-builder.ts";
import { transposeLast2 } from "./lower-layout.ts";
import { periodicFor } from "./lower-reduce.ts";

/** ids: kernel tensor [B, S] int32 (id of token s in lane s of row b); tableT: [D, V]. Defines outId [B*S, D]. */
export function lowerEmbedding(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  ids: string,
  tableT: string,
): void {
  const at = outId;
  const { rows: B, cols: S } = k.get(ids);
  const { rows: D, cols: V, dtype: tableType } = k.get(tableT);
  const ids32 = k.convert(k.fresh(at), ids, "fp32");
  const hi = k.convert(k.fresh(at), ids32, "bf16");
  const lo = k.convert(
    k.fresh(at),
    k.binary(k.fresh(at), "sub", ids32, k.convert(k.fresh(at), hi, "fp32")),
    "fp16",
  );
  // Each id in lane 0 of its own row, rows in (b, s) order: the [B, S] ids transposed per batch row on the MXM
  // (exact); then lane 0 broadcast to all V lanes (and the padding, so it stays finite) by one [V, 1] weight.
  const column = (x: string) => (S > 1 ? transposeLast2(k, at, x, B, 1) : x);
  // One weight tile's rows, used for every output tile.
  const bcast = (dtype: DType) => k.constant(`bcast.${dtype}.${LANES}x1.0`, dtype, LANES, 1, () => 1);
  const idRows = k.binary(
    k.fresh(at),
    "add",
    k.matmul(k.fresh(at), column(hi), bcast("bf16"), "fp32", V, undefined, periodicFor(V)),
    k.matmul(k.fresh(at), column(lo), bcast("fp16"), "fp32", V, undefined, periodicFor(V)),
  );
  const lane = k.constant(`iota.fp32.${V}`, "fp32", 1, V, (_, c) => c);
  const diff = k.unary(k.fresh(at), "abs", k.binary(k.fresh(at), "sub", idRows, lane));
  const oneHot = k.unary(
    k.fresh(at),
    "relu",
    k.imm(k.fresh(at), "add", k.unary(k.fresh(at), "neg", diff), 1),
  );
  k.matmul(outId, k.convert(k.fresh(at), oneHot, tableType), tableT, outDtype, D);
}
