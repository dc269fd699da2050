// Number formats shared by the reference interpreter and the simulators: fp16, bf16 and fp8 (e4m3) rounding.
// Values are held as float32/float64; these functions round a value to what the narrow format can represent.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds to the nearest float32. */
export function roundF32(x: number): number {
  return Math.fround(x);
}

/** Float32 -> IEEE half bits, round to nearest even. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** IEEE half bits -> number. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function roundF16(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}

/** Float32 -> bfloat16 bits, round to nearest even. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40;
  const rounded = b + 0x7fff + ((b >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

export function roundBf16(x: number): number {
  return bf16BitsToF32(f32ToBf16Bits(x));
}

/** Rounds to fp8 e4m3 (OCP FP8: bias 7, max 448, no infinities; saturates). */
export function roundFp8E4M3(x: number): number {
  if (Number.isNaN(x)) return x;
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a >= 448) return s * 448;
  if (a < 2 ** -9) return s * Math.round(a / 2 ** -9) * 2 ** -9;
  const e = Math.max(-6, Math.floor(Math.log2(a)));
  const q = 2 ** (e - 3);
  return s * roundHalfEven(a / q) * q;
}

/** fp8 e4m3 bits (OCP: bias 7, no infinities, S.1111.111 is NaN) of x rounded to fp8. */
export function f32ToFp8E4M3Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7f;
  const v = roundFp8E4M3(x);
  const sign = v < 0 || Object.is(v, -0) ? 0x80 : 0;
  const a = Math.abs(v);
  if (a === 0) return sign;
  if (a < 2 ** -6) return sign | Math.round(a / 2 ** -9);
  const e = Math.floor(Math.log2(a));
  const mant = Math.round((a / 2 ** e - 1) * 8);
  return sign | ((e + 7) << 3) | mant;
}

/** Rounds half to even, as hardware does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Saturating round to a signed integer range. */
export function saturate(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, roundHalfEven(x)));
}
