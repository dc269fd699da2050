// Element values <-> bytes, and typed vectors <-> byte planes (docs/isa.md, "Byte planes"): little-endian, plane b
// holds byte b of every element. Shared by the assembler's `.data`, and by anyone reading `.output` regions.
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  f32ToFp8E4M3Bits,
} from "../util/numeric.ts";
import { ELEM_BYTES, type ElemType } from "./isa.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The integer range of an integer type; undefined for float types. */
export function intRange(t: ElemType): { lo: number; hi: number } | undefined {
  switch (t) {
    case "int8":
      return { lo: -128, hi: 127 };
    case "uint8":
      return { lo: 0, hi: 255 };
    case "int32":
      return { lo: -(2 ** 31), hi: 2 ** 31 - 1 };
    case "fp8":
    case "fp16":
    case "bf16":
    case "fp32":
      return undefined;
  }
}

export function fp8E4M3Value(bits: number): number {
  const sign = bits & 0x80 ? -1 : 1;
  const exp = (bits >> 3) & 0xf;
  const mant = bits & 7;
  if (exp === 0xf && mant === 7) return Number.NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/**
 * The little-endian bits of one element (as an unsigned integer of bytes(t) bytes). Integers must already be in
 * range (callers check with intRange); floats are rounded to the type.
 */
export function elementBits(t: ElemType, x: number): number {
  switch (t) {
    case "int8":
    case "uint8":
      return x & 0xff;
    case "int32":
      return x >>> 0;
    case "fp8":
      return f32ToFp8E4M3Bits(x);
    case "fp16":
      return f32ToF16Bits(x);
    case "bf16":
      return f32ToBf16Bits(x);
    case "fp32":
      f32[0] = x;
      return u32[0]!;
  }
}

export function elementValue(t: ElemType, bits: number): number {
  switch (t) {
    case "int8":
      return (bits << 24) >> 24;
    case "uint8":
      return bits & 0xff;
    case "int32":
      return bits | 0;
    case "fp8":
      return fp8E4M3Value(bits & 0xff);
    case "fp16":
      return f16BitsToF32(bits & 0xffff);
    case "bf16":
      return bf16BitsToF32(bits & 0xffff);
    case "fp32":
      u32[0] = bits >>> 0;
      return f32[0]!;
  }
}

/** Values (element k is word floor(k / lanes), lane k % lanes) as bytes(t) planes of words x lanes bytes. */
export function toPlanes(t: ElemType, values: ArrayLike<number>, words: number, lanes: number): Uint8Array[] {
  const nb = ELEM_BYTES[t];
  const planes = Array.from({ length: nb }, () => new Uint8Array(words * lanes));
  const count = Math.min(values.length, words * lanes);
  for (let k = 0; k < count; k++) {
    const bits = elementBits(t, values[k]!);
    for (let b = 0; b < nb; b++) planes[b]![k] = (bits >>> (8 * b)) & 0xff;
  }
  return planes;
}

/** The inverse of toPlanes: element values from byte planes (all the same length). */
export function fromPlanes(t: ElemType, planes: readonly Uint8Array[]): number[] {
  const nb = ELEM_BYTES[t];
  const n = planes[0]?.length ?? 0;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let bits = 0;
    for (let b = 0; b < nb; b++) bits |= planes[b]![k]! << (8 * b);
    out.push(elementValue(t, bits >>> 0));
  }
  return out;
}
