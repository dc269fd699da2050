import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundF16Fast } from "../../../compiler/reference/tensor.ts";
import { roundF16 } from "../../../util/numeric.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number) => {
  u32[0] = b;
  return f32[0]!;
};

describe("fast fp16 rounding", () => {
  it("agrees bit for bit with util/numeric.ts roundF16 on every fp32 bit pattern class", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const x = fromBits(bits);
        expect(Object.is(roundF16Fast(x), roundF16(x))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it("agrees on fp32 values in and around fp16's normal range (exponents 2^-17 .. 2^18)", () => {
    const bits = fc
      .tuple(fc.boolean(), fc.integer({ min: 110, max: 145 }), fc.integer({ min: 0, max: 0x7fffff }))
      .map(([s, e, m]) => ((s ? 0x80000000 : 0) | (e << 23) | m) >>> 0);
    fc.assert(
      fc.property(bits, (b) => {
        const x = fromBits(b);
        expect(Object.is(roundF16Fast(x), roundF16(x))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it("agrees at the edges: ties, the largest finite half, overflow, the smallest normal, subnormals", () => {
    const edges = [
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      65504,
      65519.99,
      65520,
      -65520,
      2 ** -14,
      2 ** -14 * (1 - 2 ** -12),
      2 ** -24,
      2 ** -25,
      3 * 2 ** -26,
      0,
      -0,
      1e-30,
      1e30,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      0.1,
      -2049,
    ];
    for (const x of edges) expect([x, roundF16Fast(x)]).toEqual([x, roundF16(x)]);
  });
});
