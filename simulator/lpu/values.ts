// Typed vectors as byte planes: decode planes (one Uint8Array word per stream, low byte first) into element values,
// round values to an element type (docs/isa.md "Numbers": floats rounded once, int8/uint8 saturate, int32 wraps),
// and encode them back into planes. Planes handed out are fresh arrays: stream words are never mutated.
import { ELEM_BYTES, type ElemType } from "../../arch/isa.ts";
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  f32ToFp8E4M3Bits,
  fp8E4M3BitsToF32,
  roundBf16,
  roundF16,
  roundFp8E4M3,
  roundHalfEven,
  saturate,
} from "../../util/numeric.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function isIntType(t: ElemType): boolean {
  return t === "int8" || t === "uint8" || t === "int32";
}

/** The accumulator type of an element type: int32 for integers, fp32 for floats. */
export function accumulatorType(t: ElemType): ElemType {
  return isIntType(t) ? "int32" : "fp32";
}

/** Two's-complement wrap of an integer-valued number into int32. */
export function wrapInt32(x: number): number {
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(x))));
}

/** Rounds an arithmetic result to `t`: floats to nearest, int8/uint8 saturate, int32 wraps. */
export function roundResult(t: ElemType, x: number): number {
  switch (t) {
    case "int8":
      return saturate(x, -128, 127);
    case "uint8":
      return saturate(x, 0, 255);
    case "int32":
      return Number.isFinite(x) ? wrapInt32(roundHalfEven(x)) : 0;
    case "fp8":
      return roundFp8E4M3(x);
    case "fp16":
      return roundF16(x);
    case "bf16":
      return roundBf16(x);
    case "fp32":
      return Math.fround(x);
  }
}

/** Rounds a conversion to `t`: as roundResult, except that conversion to int32 saturates (a float out of range
 * does not wrap) and NaN converts to 0. */
export function roundConvert(t: ElemType, x: number): number {
  if (isIntType(t) && Number.isNaN(x)) return 0;
  if (t === "int32") return saturate(x, -2147483648, 2147483647);
  return roundResult(t, x);
}

/** fp8 e4m3 (OCP): bias 7, no infinities, S.1111.111 is NaN. */
export const fp8Bits = f32ToFp8E4M3Bits;

export const fp8Value = fp8E4M3BitsToF32;

/** Element values of one vector from its byte planes. */
export function decode(t: ElemType, planes: readonly Uint8Array[], lanes: number): Float64Array {
  return decodeInto(t, planes, lanes, new Float64Array(lanes));
}

/** decode into `out` (at least `lanes` long), for the simulator's reused buffers. */
export function decodeInto(
  t: ElemType,
  planes: readonly Uint8Array[],
  lanes: number,
  out: Float64Array,
): Float64Array {
  const p0 = planes[0]!;
  switch (t) {
    case "int8":
      for (let l = 0; l < lanes; l++) out[l] = (p0[l]! << 24) >> 24;
      return out;
    case "uint8":
      for (let l = 0; l < lanes; l++) out[l] = p0[l]!;
      return out;
    case "fp8":
      for (let l = 0; l < lanes; l++) out[l] = fp8Value(p0[l]!);
      return out;
    case "fp16":
    case "bf16": {
      const p1 = planes[1]!;
      const conv = t === "fp16" ? f16BitsToF32 : bf16BitsToF32;
      for (let l = 0; l < lanes; l++) out[l] = conv(p0[l]! | (p1[l]! << 8));
      return out;
    }
    case "fp32":
    case "int32": {
      const [, p1, p2, p3] = planes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      for (let l = 0; l < lanes; l++) {
        const bits = (p0[l]! | (p1[l]! << 8) | (p2[l]! << 16) | (p3[l]! << 24)) >>> 0;
        if (t === "int32") out[l] = bits | 0;
        else {
          u32[0] = bits;
          out[l] = f32[0]!;
        }
      }
      return out;
    }
  }
}

/** Byte planes of one vector from values already representable in `t`. */
export function encode(t: ElemType, values: ArrayLike<number>, lanes: number): Uint8Array[] {
  const planes: Uint8Array[] = [];
  for (let b = 0; b < ELEM_BYTES[t]; b++) planes.push(new Uint8Array(lanes));
  return encodeInto(t, values, lanes, planes);
}

/** encode into existing planes (bytes(t) of them, at least `lanes` long), for the simulator's reused buffers. */
export function encodeInto(
  t: ElemType,
  values: ArrayLike<number>,
  lanes: number,
  planes: readonly Uint8Array[],
): Uint8Array[] {
  const p0 = planes[0]!;
  for (let l = 0; l < lanes; l++) {
    const v = values[l]!;
    switch (t) {
      case "int8":
      case "uint8":
        p0[l] = v & 0xff;
        break;
      case "fp8":
        p0[l] = fp8Bits(v);
        break;
      case "fp16":
      case "bf16": {
        const bits = t === "fp16" ? f32ToF16Bits(v) : f32ToBf16Bits(v);
        p0[l] = bits & 0xff;
        planes[1]![l] = bits >>> 8;
        break;
      }
      case "fp32":
      case "int32": {
        let bits: number;
        if (t === "int32") bits = v >>> 0;
        else {
          f32[0] = v;
          bits = u32[0]!;
        }
        p0[l] = bits & 0xff;
        planes[1]![l] = (bits >>> 8) & 0xff;
        planes[2]![l] = (bits >>> 16) & 0xff;
        planes[3]![l] = bits >>> 24;
        break;
      }
    }
  }
  return planes as Uint8Array[];
}

/** Encodes arbitrary numbers as `t`, rounding each as an arithmetic result. */
export function encodeRounded(t: ElemType, values: ArrayLike<number>, lanes: number): Uint8Array[] {
  const r = new Float64Array(lanes);
  for (let l = 0; l < lanes; l++) r[l] = roundResult(t, values[l]!);
  return encode(t, r, lanes);
}

/** A stable FNV-1a checksum of bytes, as 8 hex digits. */
export function checksumBytes(chunks: readonly Uint8Array[]): string {
  let h = 0x811c9dc5;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      h ^= c[i]!;
      h = Math.imul(h, 0x01000193);
    }
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
