import { describe, expect, it } from "vitest";
import { expectClose, list, runOp, ty, val } from "./graphs.ts";

const LN3 = Math.log(3);

describe("topk", () => {
  it("returns the k largest, largest first, with their indices", () => {
    const [v, i] = runOp(
      { kind: "topk", k: 2 },
      [val("fp32", [1, 4], [1, 4, 2, 3])],
      [ty("fp32", [1, 2]), ty("int32", [1, 2])],
    );
    expect(list(v!)).toEqual([4, 3]);
    expect(list(i!)).toEqual([1, 3]);
  });

  it("ties pick the lower index: [1, 3, 3, 2] k=3 -> values [3, 3, 2], indices [1, 2, 3]; [5, 5, 5] k=2 -> [0, 1]", () => {
    const [v, i] = runOp(
      { kind: "topk", k: 3 },
      [val("fp32", [1, 4], [1, 3, 3, 2])],
      [ty("fp32", [1, 3]), ty("int32", [1, 3])],
    );
    expect(list(v!)).toEqual([3, 3, 2]);
    expect(list(i!)).toEqual([1, 2, 3]);
    const [, j] = runOp(
      { kind: "topk", k: 2 },
      [val("fp32", [1, 3], [5, 5, 5])],
      [ty("fp32", [1, 2]), ty("int32", [1, 2])],
    );
    expect(list(j!)).toEqual([0, 1]);
  });

  it("works row by row along the last axis", () => {
    const [v, i] = runOp(
      { kind: "topk", k: 1 },
      [val("fp32", [2, 3], [0, -1, 9, 7, 7, -7])],
      [ty("fp32", [2, 1]), ty("int32", [2, 1])],
    );
    expect(list(v!)).toEqual([9, 7]);
    expect(list(i!)).toEqual([2, 0]);
  });
});

describe("moe", () => {
  // D = 2, F = 1, E = 2, k = 2. x = [1, 2].
  // Expert 0: gate col [1, 0] -> x.g = 1; up col [0, 1] -> 2; hidden silu(1) * 2; down row [1, 0].
  // Expert 1: gate col [0, ln3/2] -> ln 3, silu(ln 3) = 0.75 ln 3; up col [1, 0] -> 1; down row [0, 2].
  const gate = val("fp32", [2, 2, 1], [1, 0, 0, LN3 / 2]);
  const up = val("fp32", [2, 2, 1], [0, 1, 1, 0]);
  const down = val("fp32", [2, 1, 2], [1, 0, 0, 2]);
  const sigmoid1 = 1 / (1 + Math.exp(-1));

  it("y = sum_j w[j] * (silu(x Wg[e]) * (x Wu[e])) Wd[e] with e = idx[j]", () => {
    // idx [1, 0], w [0.25, 0.5]: 0.25 * [0, 2 * 0.75 ln 3] + 0.5 * [2 sigmoid(1), 0] = [sigmoid(1), 0.375 ln 3].
    const [y] = runOp(
      { kind: "moe", activation: "silu" },
      [
        val("fp32", [1, 1, 2], [1, 2]),
        val("fp32", [1, 1, 2], [0.25, 0.5]),
        val("int32", [1, 1, 2], [1, 0]),
        gate,
        up,
        down,
      ],
      [ty("fp32", [1, 1, 2])],
    );
    expectClose(y!.data, [sigmoid1, 0.375 * LN3], 1e-6);
  });

  it("act=gelu swaps the activation: expert 0 alone with w = 1 gives [gelu(1) * 2, 0]", () => {
    const [y] = runOp(
      { kind: "moe", activation: "gelu" },
      [
        val("fp32", [1, 1, 2], [1, 2]),
        val("fp32", [1, 1, 1], [1]),
        val("int32", [1, 1, 1], [0]),
        gate,
        up,
        down,
      ],
      [ty("fp32", [1, 1, 2])],
    );
    expectClose(y!.data, [2 * 0.841192, 0], 1e-6);
  });

  it("each token routes on its own ids; the same expert twice adds twice", () => {
    // Token 0: idx [0, 0], w [1, 1] -> 2 * [2 sigmoid(1), 0]. Token 1 (x = [0, 0]): every product is 0.
    const [y] = runOp(
      { kind: "moe", activation: "silu" },
      [
        val("fp32", [1, 2, 2], [1, 2, 0, 0]),
        val("fp32", [1, 2, 2], [1, 1, 1, 1]),
        val("int32", [1, 2, 2], [0, 0, 1, 1]),
        gate,
        up,
        down,
      ],
      [ty("fp32", [1, 2, 2])],
    );
    expectClose(y!.data, [4 * sigmoid1, 0, 0, 0], 1e-6);
  });

  it("an expert id outside [0, E) is an error", () => {
    expect(() =>
      runOp(
        { kind: "moe", activation: "silu" },
        [
          val("fp32", [1, 1, 2], [1, 2]),
          val("fp32", [1, 1, 1], [1]),
          val("int32", [1, 1, 1], [2]),
          gate,
          up,
          down,
        ],
        [ty("fp32", [1, 1, 2])],
      ),
    ).toThrow("expert index 2 is outside [0, 2)");
  });
});
