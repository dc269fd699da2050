// embedding(ids, table) as kernel ops without a gather: each id is broadcast to V lanes on the MXM, compared with
// a lane index on the VXM to give a one-hot row (relu(1 - |v - id|), exact for integers), and the one-hot row times
// the table (stored transposed, one row per output lane) picks the table row exactly (one product by 1).
// Cost grows with V * D (every table tile passes the MXM), where a MEM gather would read one word per column tile:
// fine for small vocabularies; the gather needs a scheduler step kind that does not exist yet.
// Exact for ids below 2^19 (the id goes through the 16-bit MXM as bf16 hi + fp16 lo, both exact there).
import type { DType } from "../graph/ir.ts";
import { type KernelBuilder, padded } from "./kernel-builder.ts";
import type { RowRange } from "./kernel-ir.ts";

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
  // Lane s of every row, broadcast to all V lanes (and the padding, so it stays finite).
  const bcast = (dtype: DType, s: number) =>
    k.constant(`bcast.${dtype}.${padded(V)}x${S}.${s}`, dtype, padded(V), S, (_, c) => (c === s ? 1 : 0));
  const perPosition = Array.from({ length: S }, (_, s) =>
    k.binary(
      k.fresh(at),
      "add",
      k.matmul(k.fresh(at), hi, bcast("bf16", s), "fp32", V),
      k.matmul(k.fresh(at), lo, bcast("fp16", s), "fp32", V),
    ),
  );
  // Rows in (b, s) order.
  const parts: RowRange[] = [];
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) parts.push({ x: perPosition[s]!, row0: b, n: 1 });
  const idRows = S > 1 ? k.copyRows(k.fresh(at), parts) : perPosition[0]!;
  const lane = k.constant(`iota.fp32.${V}`, "fp32", 1, V, (_, c) => c);
  const diff = k.unary(k.fresh(at), "abs", k.binary(k.fresh(at), "sub", idRows, lane));
  const oneHot = k.unary(
    k.fresh(at),
    "relu",
    k.imm(k.fresh(at), "add", k.unary(k.fresh(at), "neg", diff), 1),
  );
  k.matmul(outId, k.convert(k.fresh(at), oneHot, tableType), tableT, outDtype, D);
}
