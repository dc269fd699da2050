// Checksums and value formatting for printed results. In: a tensor; out: a count, sum, sum of squares, extremes
// and an FNV-1a hash of the stored 32-bit words, formatted with fixed precision so output is byte-identical.
import type { DType } from "../graph/ir.ts";
import { isIntegerDType, rounder, type Tensor, type TensorData } from "./tensor.ts";

export interface Checksum {
  readonly count: number;
  /** float64 sum in index order (NaN when any value is NaN). */
  readonly sum: number;
  readonly sumSquares: number;
  readonly min: number;
  readonly max: number;
  /** Values that are NaN or infinite. */
  readonly nonFinite: number;
  /** FNV-1a over the little-endian bytes of each element's fp32 (or int32) bit pattern, as 8 hex digits. */
  readonly hash: string;
}

export function checksum(t: Tensor): Checksum {
  const d = t.data;
  let sum = 0;
  let sumSquares = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nonFinite = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    sum += v;
    sumSquares += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (!Number.isFinite(v)) nonFinite++;
  }
  return { count: d.length, sum, sumSquares, min, max, nonFinite, hash: fnv1a(d) };
}

function fnv1a(d: TensorData): string {
  const words = new Uint32Array(d.buffer, d.byteOffset, d.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    for (let s = 0; s < 32; s += 8) {
      h ^= (w >>> s) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** A fixed-precision decimal (10 significant digits) for sums: exact rules in ECMAScript, so identical everywhere. */
export function formatFixed(x: number): string {
  return Number.isFinite(x) ? x.toExponential(9) : String(x);
}

/**
 * The shortest decimal that reads back as the same value of `dtype`: the stored value exactly, without the fp64 tail
 * (fp32 0.1 prints "0.1", not "0.10000000149011612"; fp16 0.0999755859375 prints "0.1", as numpy does). Integers as integers.
 */
export function formatValue(x: number, dtype: DType): string {
  if (isIntegerDType(dtype) || !Number.isFinite(x) || x === 0) return String(x);
  const round = rounder(dtype);
  for (let p = 1; p <= 17; p++) {
    const s = Number(x.toPrecision(p));
    if (round(s) === x) return String(s);
  }
  return String(x);
}
