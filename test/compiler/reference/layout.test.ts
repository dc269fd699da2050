import { describe, expect, it } from "vitest";
import { list, runOp, ty, val } from "./graphs.ts";

describe("data movement", () => {
  it("reshape keeps row-major order: [2,3] -> [3,2]", () => {
    const [y] = runOp(
      { kind: "reshape", shape: [3, 2] },
      [val("fp32", [2, 3], [1, 2, 3, 4, 5, 6])],
      [ty("fp32", [3, 2])],
    );
    expect(list(y!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y!.type.shape).toEqual([3, 2]);
  });

  it("transpose [2,3] perm [1,0]: [[1,2,3],[4,5,6]] -> [[1,4],[2,5],[3,6]]", () => {
    const [y] = runOp(
      { kind: "transpose", perm: [1, 0] },
      [val("fp32", [2, 3], [1, 2, 3, 4, 5, 6])],
      [ty("fp32", [3, 2])],
    );
    expect(list(y!)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it("transpose [2,2,2] perm [2,0,1]: out[i,j,k] = x[j,k,i]", () => {
    // x[a,b,c] = 100a + 10b + c, so out[i,j,k] = 100j + 10k + i.
    const x = [0, 1, 10, 11, 100, 101, 110, 111];
    const [y] = runOp(
      { kind: "transpose", perm: [2, 0, 1] },
      [val("fp32", [2, 2, 2], x)],
      [ty("fp32", [2, 2, 2])],
    );
    expect(list(y!)).toEqual([0, 10, 100, 110, 1, 11, 101, 111]);
  });

  it("concat along the last axis interleaves rows: [[1],[2]] ++ [[3,4],[5,6]] = [[1,3,4],[2,5,6]]", () => {
    const [y] = runOp(
      { kind: "concat", axis: -1 },
      [val("fp32", [2, 1], [1, 2]), val("fp32", [2, 2], [3, 4, 5, 6])],
      [ty("fp32", [2, 3])],
    );
    expect(list(y!)).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it("concat along axis 0 appends blocks", () => {
    const [y] = runOp(
      { kind: "concat", axis: 0 },
      [val("fp32", [1, 2], [1, 2]), val("fp32", [1, 2], [3, 4]), val("fp32", [1, 2], [5, 6])],
      [ty("fp32", [3, 2])],
    );
    expect(list(y!)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("split along the last axis with sizes [1, 2] undoes that concat", () => {
    const [a, b] = runOp(
      { kind: "split", axis: -1, sizes: [1, 2] },
      [val("fp32", [2, 3], [1, 3, 4, 2, 5, 6])],
      [ty("fp32", [2, 1]), ty("fp32", [2, 2])],
    );
    expect(list(a!)).toEqual([1, 2]);
    expect(list(b!)).toEqual([3, 4, 5, 6]);
  });

  it("split along axis 0 into three", () => {
    const parts = runOp(
      { kind: "split", axis: 0, sizes: [1, 1, 1] },
      [val("int32", [3, 1], [7, 8, 9])],
      [ty("int32", [1, 1]), ty("int32", [1, 1]), ty("int32", [1, 1])],
    );
    expect(parts.map(list)).toEqual([[7], [8], [9]]);
  });
});

describe("embedding", () => {
  it("ids [[2, 0]] into table [[1,2],[3,4],[5,6]] gives rows 2 and 0", () => {
    const [y] = runOp(
      { kind: "embedding" },
      [val("int32", [1, 2], [2, 0]), val("fp16", [3, 2], [1, 2, 3, 4, 5, 6])],
      [ty("fp16", [1, 2, 2])],
    );
    expect(list(y!)).toEqual([5, 6, 1, 2]);
  });

  it("an id outside [0, V) is an error that names the op, the id and the range", () => {
    expect(() =>
      runOp(
        { kind: "embedding" },
        [val("int32", [1, 1], [3]), val("fp16", [3, 2], [1, 2, 3, 4, 5, 6])],
        [ty("fp16", [1, 1, 2])],
      ),
    ).toThrow("y: embedding id 3 at position 0 is outside [0, 3)");
  });
});
