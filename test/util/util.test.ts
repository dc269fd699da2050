import { describe, expect, it } from "vitest";
import { diag, formatDiagnostic, LineIndex } from "../../util/diagnostics.ts";
import { f16BitsToF32, f32ToF16Bits, roundBf16, roundF16, roundFp8E4M3 } from "../../util/numeric.ts";
import { Rng } from "../../util/random.ts";
import { didYouMean } from "../../util/suggest.ts";

describe("diagnostics", () => {
  it("prints file:line:col, the source line and an underline as long as the span", () => {
    const src = "a = 1\nb = matmull(x, y)\n";
    const d = diag(
      { code: "LPU1003", severity: "error", text: "unknown op '{0}'" },
      "m.model",
      { start: 10, end: 17 },
      ["matmull"],
    );
    expect(formatDiagnostic(d, src)).toBe(
      "m.model:2:5: error LPU1003: unknown op 'matmull'\n2 | b = matmull(x, y)\n  |     ^~~~~~~",
    );
  });
  it("maps offsets to 1-based lines and columns", () => {
    const idx = new LineIndex("ab\ncd\n");
    expect(idx.position(0)).toEqual({ line: 1, column: 1 });
    expect(idx.position(4)).toEqual({ line: 2, column: 2 });
  });
});

describe("near-miss hints", () => {
  it("suggests the closest known name and nothing for a distant one", () => {
    expect(didYouMean("matmull", ["matmul", "add", "softmax"])).toBe("did you mean 'matmul'?");
    expect(didYouMean("zzzzzz", ["matmul", "add"])).toBeUndefined();
  });
  it("counts a swap of two neighbouring characters as one edit", () => {
    expect(didYouMean("fp61", ["fp16", "fp32", "bf16"])).toBe("did you mean 'fp16'?");
    expect(didYouMean("raed", ["read", "write"])).toBe("did you mean 'read'?");
  });
});

describe("number formats", () => {
  it("fp16 round-trips representable values and rounds to nearest even", () => {
    expect(f16BitsToF32(f32ToF16Bits(1.5))).toBe(1.5);
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(roundF16(1 + 2 ** -11)).toBe(1);
    expect(roundF16(2 ** -24)).toBe(2 ** -24);
  });
  it("bf16 keeps 8 significant bits", () => {
    expect(roundBf16(1 + 2 ** -8)).toBe(1);
    expect(roundBf16(1 + 2 ** -7)).toBe(1 + 2 ** -7);
  });
  it("fp8 e4m3 saturates at 448 and keeps 3 mantissa bits", () => {
    expect(roundFp8E4M3(1000)).toBe(448);
    expect(roundFp8E4M3(1.0625)).toBe(1);
    expect(roundFp8E4M3(1.125)).toBe(1.125);
  });
});

describe("seeded randomness", () => {
  it("the same seed gives the same stream; another seed a different one", () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
  });
});
