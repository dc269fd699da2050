import { describe, expect, it } from "vitest";
import { expectClose, list, runOp, ty, val } from "./graphs.ts";

const LN3 = Math.log(3);

describe("add and mul broadcast like numpy", () => {
  it("[2,3] + [3] adds the row to each row", () => {
    const [y] = runOp(
      { kind: "add" },
      [val("fp32", [2, 3], [1, 2, 3, 4, 5, 6]), val("fp32", [3], [10, 20, 30])],
      [ty("fp32", [2, 3])],
    );
    expect(list(y!)).toEqual([11, 22, 33, 14, 25, 36]);
  });

  it("[2,1] * [1,3] stretches both size-1 dims into an outer product", () => {
    const [y] = runOp(
      { kind: "mul" },
      [val("fp32", [2, 1], [2, 3]), val("fp32", [1, 3], [1, 10, 100])],
      [ty("fp32", [2, 3])],
    );
    expect(list(y!)).toEqual([2, 20, 200, 3, 30, 300]);
  });

  it("a scalar-like [1] operand on the left broadcasts over [2,2]", () => {
    const [y] = runOp(
      { kind: "add" },
      [val("fp32", [1], [0.5]), val("fp32", [2, 2], [1, 2, 3, 4])],
      [ty("fp32", [2, 2])],
    );
    expect(list(y!)).toEqual([1.5, 2.5, 3.5, 4.5]);
  });
});

describe("rounding to the output dtype", () => {
  it("fp16 add: 1 + 2^-11 is a tie and rounds to even (1); 1 + 3*2^-11 rounds up to 1 + 2^-9", () => {
    const [y] = runOp(
      { kind: "add" },
      [val("fp16", [2], [1, 1]), val("fp16", [2], [2 ** -11, 3 * 2 ** -11])],
      [ty("fp16", [2])],
    );
    expect(list(y!)).toEqual([1, 1 + 2 ** -9]);
  });

  it("fp16 overflows to infinity above 65504 (65504 + 32 = 65536 rounds past the largest finite)", () => {
    const [y] = runOp({ kind: "scale", factor: 2 }, [val("fp16", [1], [65504])], [ty("fp16", [1])]);
    expect(list(y!)).toEqual([Number.POSITIVE_INFINITY]);
  });

  it("bf16 keeps 8 significant bits: 1 + 0.01 becomes 1 + 2^-7 = 1.0078125", () => {
    const [y] = runOp({ kind: "add" }, [val("fp32", [1], [1]), val("fp32", [1], [0.01])], [ty("bf16", [1])]);
    expect(list(y!)).toEqual([1.0078125]);
  });

  it("fp8 e4m3 has 3 mantissa bits: 1.1 * 1 becomes 1.125, and 500 saturates to 448", () => {
    const [y] = runOp(
      { kind: "mul" },
      [val("fp32", [2], [1.1, 500]), val("fp32", [2], [1, 1])],
      [ty("fp8", [2])],
    );
    expect(list(y!)).toEqual([1.125, 448]);
  });

  it("inputs are rounded to their dtype on entry: fp16 0.1 is 0.0999755859375", () => {
    const [y] = runOp({ kind: "scale", factor: 1 }, [val("fp16", [1], [0.1])], [ty("fp32", [1])]);
    expect(list(y!)).toEqual([0.0999755859375]);
  });
});

describe("scale and activations", () => {
  it("scale multiplies by the factor: [1, -2] * 0.5 = [0.5, -1]", () => {
    const [y] = runOp({ kind: "scale", factor: 0.5 }, [val("fp32", [2], [1, -2])], [ty("fp32", [2])]);
    expect(list(y!)).toEqual([0.5, -1]);
  });

  it("relu clamps negatives to +0", () => {
    const [y] = runOp({ kind: "relu" }, [val("fp32", [3], [-2, 0, 3])], [ty("fp32", [3])]);
    expect(list(y!)).toEqual([0, 0, 3]);
    expect(Object.is(y!.data[0], 0)).toBe(true);
  });

  it("silu(x) = x * sigmoid(x): silu(0) = 0, silu(ln 3) = 0.75 ln 3 since sigmoid(ln 3) = 3/4", () => {
    const [y] = runOp({ kind: "silu" }, [val("fp32", [2], [0, LN3])], [ty("fp32", [2])]);
    expectClose(y!.data, [0, 0.75 * Math.fround(LN3)]);
  });

  it("gelu is the tanh approximation: gelu(1) = 0.5(1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411920", () => {
    // sqrt(2/pi) = 0.7978846; * 1.044715 = 0.8335623; tanh = 0.6823840; (1 + 0.6823840) / 2 = 0.8411920.
    // gelu(-1) = -1 + gelu(1) by the odd symmetry of tanh: -0.1588080. The exact erf form would give 0.8413447.
    const [y] = runOp({ kind: "gelu" }, [val("fp32", [3], [0, 1, -1])], [ty("fp32", [3])]);
    expectClose(y!.data, [0, 0.841192, -0.158808], 1e-6);
  });
});

describe("cast", () => {
  it("to int32 rounds half to even and saturates", () => {
    const [y] = runOp(
      { kind: "cast", to: "int32" },
      [val("fp32", [5], [2.5, 3.5, -2.5, 1.4, -1e10])],
      [ty("int32", [5])],
    );
    expect(list(y!)).toEqual([2, 4, -2, 1, -2147483648]);
  });

  it("to int8 saturates at 127 and -128", () => {
    const [y] = runOp({ kind: "cast", to: "int8" }, [val("fp32", [2], [300, -300])], [ty("int8", [2])]);
    expect(list(y!)).toEqual([127, -128]);
  });

  it("int32 to fp16 keeps integers up to 2048 exactly and rounds 2049 to even (2048)", () => {
    const [y] = runOp({ kind: "cast", to: "fp16" }, [val("int32", [2], [2048, 2049])], [ty("fp16", [2])]);
    expect(list(y!)).toEqual([2048, 2048]);
  });
});
