// Checksums and value formatting for printed results. In: a tensor; out: a count, sum, sum of squares, extremes
// and an FNV-1a hash of the stored 32-bit words, formatted with fixed precision so output is byte-identical.
import type { Tensor, TensorData } from "./tensor.ts";

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
 * The shortest decimal that reads back as the same fp32 value: the stored value exactly, without the fp64 tail
 * (0.1 in fp32 prints "0.1", not "0.10000000149011612"). Integers print as integers.
 */
export function formatValue(x: number, integer: boolean): string {
  if (integer || !Number.isFinite(x) || Object.is(x, 0)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}
