// rope(x) (rotate-half, pairs (i, i + Dh/2) within each head) as kernel ops: the rotation's lane movement is an MXM
// product with a signed 0/1 matrix (exact), and out = x * cos + rot(x) * sin in fp32 with cos/sin tables the
// compiler computes by running the reference interpreter's own rope on a unit input (so the angles are the same).
import type { DType } from "../graph/ir.ts";
import { rope } from "../reference/attention.ts";
import { type KernelBuilder, LANES, padded } from "./kernel-builder.ts";
import { finish } from "./lower-reduce.ts";

/** x: kernel tensor [B*S, H*Dh] (heads as lane ranges); tokens s sit at positions start + s. */
export function lowerRope(
  k: KernelBuilder,
  outId: string,
  outDtype: DType,
  x: string,
  shape: { batch: number; seq: number; heads: number; headDim: number },
  start: number,
  base: number,
): void {
  const at = outId;
  const { batch: B, seq: S, heads: H, headDim: Dh } = shape;
  const half = Dh / 2;
  const w = H * Dh;
  const t = k.get(x);
  // rot[h*Dh + i] = -x[h*Dh + i + half] (i < half), rot[h*Dh + half + i] = x[h*Dh + i]: output lane r reads input
  // lane r +- half, at most `reach` tiles away, so the matrix is stored diagonal (kernel-ir.ts): per output tile
  // only the input tiles near it (llama2-70b: 16 MB instead of 138 MB for the full 8192 x 8192).
  const reach = Math.ceil(half / LANES);
  const rotation = k.constant(
    `rotate-half.${t.dtype}.${w}.${Dh}`,
    t.dtype,
    padded(w),
    (2 * reach + 1) * LANES,
    (r, col) => {
      const c = (Math.floor(r / LANES) - reach) * LANES + col;
      if (r >= w || c < 0 || c >= w) return 0;
      const h0 = r - (r % Dh);
      const i = r % Dh;
      if (i < half) return c === h0 + i + half ? -1 : 0;
      return c === h0 + i - half ? 1 : 0;
    },
  );
  const rot = k.matmul(k.fresh(at), x, rotation, "fp32", w, undefined, {
    kind: "diagonal",
    below: reach,
    above: reach,
  });
  // The interpreter's rope of a vector with ones in the first half of each head: cos in the first half, sin in the
  // second, per position.
  const unit = new Float32Array(S * Dh);
  for (let s = 0; s < S; s++) for (let i = 0; i < half; i++) unit[s * Dh + i] = 1;
  const type = { dtype: "fp32" as const, shape: [1, S, 1, Dh] };
  const cs = rope(type, { type, data: unit }, start, base).data;
  const table = (name: string, offset: number) =>
    k.constant(`rope-${name}.${B}x${S}x${w}.${Dh}.${start}.${base}`, "fp32", B * S, w, (r, c) => {
      const i = (c % Dh) % half;
      return cs[(r % S) * Dh + offset + i]!;
    });
  const x32 = k.convert(k.fresh(at), x, "fp32");
  const y = k.binary(
    k.fresh(at),
    "add",
    k.binary(k.fresh(at), "mul", x32, table("cos", 0)),
    k.binary(k.fresh(at), "mul", rot, table("sin", half)),
  );
  finish(k, outId, y, outDtype);
}
