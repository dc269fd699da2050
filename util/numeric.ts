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

const HALF_SUBNORMAL = 2 ** -24;

/** IEEE half bits -> number: a normal half moves into float32's bit fields (exponent rebiased 15 -> 127, mantissa
 * shifted up 13), which is exact; a subnormal half is its mantissa times 2^-24, also exact. */
export function f16BitsToF32(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return (h & 0x8000 ? -mant : mant) * HALF_SUBNORMAL;
  if (exp === 0x1f) {
    if (mant) return Number.NaN;
    return h & 0x8000 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  u32[0] = ((h & 0x8000) << 16) | ((exp + 112) << 23) | (mant << 13);
  return f32[0]!;
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

// fp8 rounding reads the bits of the number as a float64 (so a value that is not a float32 rounds once, as before):
// the high 32-bit word holds the sign, the 11-bit exponent and the top 20 mantissa bits, the low word the rest.
const f64 = new Float64Array(1);
const w64 = new Uint32Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;
const LO = 1 - HI;

/** The value of each fp8 e4m3 bit pattern (S.1111.111 is NaN). */
const FP8_VALUES = Float64Array.from({ length: 256 }, (_, bits) => {
  const sign = bits & 0x80 ? -1 : 1;
  const exp = (bits >>> 3) & 0xf;
  const mant = bits & 7;
  if (exp === 0xf && mant === 7) return Number.NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
});

/** The value of fp8 e4m3 bits (the low 8 bits of `bits`), by table. */
export function fp8E4M3BitsToF32(bits: number): number {
  return FP8_VALUES[bits & 0xff]!;
}

/** Rounds to fp8 e4m3 (OCP FP8: bias 7, max 448, no infinities; saturates). */
export function roundFp8E4M3(x: number): number {
  if (Number.isNaN(x)) return x;
  return FP8_VALUES[f32ToFp8E4M3Bits(x)]!;
}

/**
 * fp8 e4m3 bits (OCP: bias 7, no infinities, S.1111.111 is NaN) of x rounded to fp8: round to nearest, ties to even,
 * saturating at 448 (0x7e; infinities too); NaN is 0x7f. Below the smallest subnormal 2^-9 the rule is round half up
 * (2^-10 becomes 2^-9), and a value that rounds to zero keeps its sign except -0 itself, which becomes +0: the
 * encoder this replaced behaved so, and stored images and reference values must not change (test/util/numeric.test.ts
 * compares the two).
 *
 * By integer arithmetic on the float64 bits: the significand 1.m (21 bits of the high word, with the implicit 1)
 * shifted right keeps 3 mantissa bits for a normal fp8 (exponent -6..8) and fewer for a subnormal one (the count of
 * 2^-9 steps); the bits shifted out and the low word decide the rounding, and a carry out of the mantissa moves into
 * the exponent field as the encoding's order requires.
 */
export function f32ToFp8E4M3Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7f;
  f64[0] = x;
  const hi = w64[HI]!;
  const sign = (hi >>> 24) & 0x80;
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  if (e > 8) return sign | 0x7e;
  if (e < -9) {
    if (e === -10) return sign | 1;
    return x === 0 ? 0 : sign;
  }
  const sig = 0x100000 | (hi & 0xfffff);
  const shift = e >= -6 ? 17 : 11 - e;
  const kept = sig >>> shift;
  const rest = sig & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  const up = rest > half || (rest === half && (w64[LO] !== 0 || (kept & 1) === 1));
  const bits = (e >= -6 ? (e + 6) << 3 : 0) + kept + (up ? 1 : 0);
  return sign | Math.min(bits, 0x7e);
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
