import { describe, expect, it } from "vitest";
import { expectClose, list, runOp, ty, val } from "./graphs.ts";

const LN3 = Math.log(3);

describe("softmax", () => {
  it("softmax([0, ln 3]) = [1/4, 3/4]", () => {
    const [y] = runOp({ kind: "softmax", axis: -1 }, [val("fp32", [2], [0, LN3])], [ty("fp32", [2])]);
    expectClose(y!.data, [0.25, 0.75]);
  });

  it("is numerically stable: softmax([1000, 1000 + ln 3]) is still [1/4, 3/4], not NaN", () => {
    const [y] = runOp(
      { kind: "softmax", axis: -1 },
      [val("fp32", [2], [1000, 1000 + LN3])],
      [ty("fp32", [2])],
    );
    expectClose(y!.data, [0.25, 0.75], 1e-4);
  });

  it("axis=0 normalises columns: [[0, 0], [ln 3, 0]] -> [[1/4, 1/2], [3/4, 1/2]]", () => {
    const [y] = runOp(
      { kind: "softmax", axis: 0 },
      [val("fp32", [2, 2], [0, 0, LN3, 0])],
      [ty("fp32", [2, 2])],
    );
    expectClose(y!.data, [0.25, 0.5, 0.75, 0.5]);
  });

  it("rows are independent: [[0, ln 3], [5, 5]] -> [[1/4, 3/4], [1/2, 1/2]]", () => {
    const [y] = runOp(
      { kind: "softmax", axis: -1 },
      [val("fp32", [2, 2], [0, LN3, 5, 5])],
      [ty("fp32", [2, 2])],
    );
    expectClose(y!.data, [0.25, 0.75, 0.5, 0.5]);
  });
});

describe("layernorm and rmsnorm normalise over the last axis", () => {
  it("layernorm([1, 3]): mean 2, variance 1 -> [-1, 1], then * g [2, 3] + b [0.5, 0] = [-1.5, 3]", () => {
    const [y] = runOp(
      { kind: "layernorm", eps: 0 },
      [val("fp32", [1, 2], [1, 3]), val("fp32", [2], [2, 3]), val("fp32", [2], [0.5, 0])],
      [ty("fp32", [1, 2])],
    );
    expectClose(y!.data, [-1.5, 3]);
  });

  it("layernorm uses the biased variance plus eps: [0, 2] with eps 3 -> (x - 1) / sqrt(1 + 3) = [-0.5, 0.5]", () => {
    const [y] = runOp(
      { kind: "layernorm", eps: 3 },
      [val("fp32", [2, 2], [0, 2, 10, 12]), val("fp32", [2], [1, 1]), val("fp32", [2], [0, 0])],
      [ty("fp32", [2, 2])],
    );
    // Second row has the same spread around its own mean 11, so the same result.
    expectClose(y!.data, [-0.5, 0.5, -0.5, 0.5]);
  });

  it("rmsnorm([1, 7]): mean of squares 25, rms 5 -> [0.2, 1.4], times g [1, 2] = [0.2, 2.8]", () => {
    const [y] = runOp(
      { kind: "rmsnorm", eps: 0 },
      [val("fp32", [1, 2], [1, 7]), val("fp32", [2], [1, 2])],
      [ty("fp32", [1, 2])],
    );
    expectClose(y!.data, [0.2, 2.8]);
  });

  it("rmsnorm does not centre: [3, 3] -> [1, 1] (layernorm would give [0, 0])", () => {
    const [y] = runOp(
      { kind: "rmsnorm", eps: 0 },
      [val("fp32", [1, 2], [3, 3]), val("fp32", [2], [1, 1])],
      [ty("fp32", [1, 2])],
    );
    expect(list(y!)).toEqual([1, 1]);
  });
});
