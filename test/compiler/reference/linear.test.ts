import { describe, expect, it } from "vitest";
import { list, runOp, ty, val } from "./graphs.ts";

describe("matmul", () => {
  it("[[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]", () => {
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("fp32", [2, 2], [1, 2, 3, 4]), val("fp32", [2, 2], [5, 6, 7, 8])],
      [ty("fp32", [2, 2])],
    );
    expect(list(y!)).toEqual([19, 22, 43, 50]);
  });

  it("transpose_b reads b as [N, K]: [1,2,3] . rows [1,0,0], [0,1,1] = [1, 5]", () => {
    const [y] = runOp(
      { kind: "matmul", transposeB: true },
      [val("fp32", [1, 3], [1, 2, 3]), val("fp32", [2, 3], [1, 0, 0, 0, 1, 1])],
      [ty("fp32", [1, 2])],
    );
    expect(list(y!)).toEqual([1, 5]);
  });

  it("a 2-D b is shared by every batch of a: [2,1,2] x [2,3] -> [2,1,3]", () => {
    // batch 0: [1,0] picks b's row 0 = [1,2,3]; batch 1: [0,2] is twice row 1 = [8,10,12].
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("fp16", [2, 1, 2], [1, 0, 0, 2]), val("fp16", [2, 3], [1, 2, 3, 4, 5, 6])],
      [ty("fp16", [2, 1, 3])],
    );
    expect(list(y!)).toEqual([1, 2, 3, 8, 10, 12]);
  });

  it("batched b pairs batch i of a with batch i of b", () => {
    // batch 0: [1,1] x identity = [1,1]; batch 1: [1,2] x [[0,3],[3,0]] = [6,3].
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("fp32", [2, 1, 2], [1, 1, 1, 2]), val("fp32", [2, 2, 2], [1, 0, 0, 1, 0, 3, 3, 0])],
      [ty("fp32", [2, 1, 2])],
    );
    expect(list(y!)).toEqual([1, 1, 6, 3]);
  });

  it("int8 operands accumulate in int32: 127*127 + 127*127 = 32258, beyond int8 and fp16's exact integers", () => {
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("int8", [1, 2], [127, 127]), val("int8", [2, 1], [127, 127])],
      [ty("int32", [1, 1])],
    );
    expect(list(y!)).toEqual([32258]);
  });

  it("int8 x int8 into an int8 result saturates the int32 sum", () => {
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("int8", [1, 2], [100, -100]), val("int8", [2, 2], [2, -2, 0, 0])],
      [ty("int8", [1, 2])],
    );
    expect(list(y!)).toEqual([127, -128]);
  });

  it("float sums accumulate in fp32 in k order: 1 + 2^-24 + 2^-24 stays 1 (fp64 would give 1 + 2^-23)", () => {
    // Each partial sum 1 + 2^-24 is a tie between 1 and 1 + 2^-23 in fp32 and rounds to even (1).
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("fp32", [1, 3], [1, 2 ** -24, 2 ** -24]), val("fp32", [3, 1], [1, 1, 1])],
      [ty("fp32", [1, 1])],
    );
    expect(list(y!)).toEqual([1]);
    // The same terms with the small ones first do add up: order is part of the contract.
    const [z] = runOp(
      { kind: "matmul", transposeB: false },
      [val("fp32", [1, 3], [2 ** -24, 2 ** -24, 1]), val("fp32", [3, 1], [1, 1, 1])],
      [ty("fp32", [1, 1])],
    );
    expect(list(z!)).toEqual([1 + 2 ** -23]);
  });

  it("the fp32 sum is rounded to an fp16 result: 1 + 2^-11 ties to 1", () => {
    const [y] = runOp(
      { kind: "matmul", transposeB: false },
      [val("fp32", [1, 2], [1, 2 ** -11]), val("fp32", [2, 1], [1, 1])],
      [ty("fp16", [1, 1])],
    );
    expect(list(y!)).toEqual([1]);
  });
});
