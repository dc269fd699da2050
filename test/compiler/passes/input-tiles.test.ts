// A pointwise op reading its inputs at fixed column tiles (pointwise-ir.ts `inputTiles`, a layernorm's fold of x's
// tiles): the passes that reason per tile (tile-live.ts, zero-tiles.ts) and the kernel verifier follow those tiles,
// not the output's. A hand-built kernel IR: x [2, 960] times a constant zero in tiles 0 and 1 gives p, zero there;
// f and g, one tile each, read p at fixed tiles.
import { describe, expect, it } from "vitest";
import type { KernelGraph, KOp, KTensor } from "../../../compiler/passes/kernel-ir.ts";
import { verifyKernelGraph } from "../../../compiler/passes/kernel-ir.ts";
import { liveTiles } from "../../../compiler/passes/tile-live.ts";
import { unreadZeroTiles, zeroTiles } from "../../../compiler/passes/zero-tiles.ts";

const tensor = (
  id: string,
  rows: number,
  cols: number,
  role: KTensor["role"],
  dtype: KTensor["dtype"] = "fp32",
) => ({
  id,
  dtype,
  rows,
  cols,
  role,
  shape: [rows, cols],
  ...(role === "temp" ? {} : { source: { node: id, transposed: false } }),
});

/** f = p@1 + p@2 (a fold of p's tiles 1 and 2); g = p@`gTile` copied. Outputs f and g. */
function graph(gTile: number): KernelGraph {
  const ops: KOp[] = [
    {
      kind: "pointwise",
      id: "p",
      inputs: ["x", "m"],
      steps: [
        { kind: "convert", x: 0, to: "fp32" },
        { kind: "binary", fn: "mul", a: 2, b: 1 },
      ],
      out: "p",
    },
    {
      kind: "pointwise",
      id: "f",
      inputs: ["p", "p"],
      inputTiles: [1, 2],
      steps: [{ kind: "binary", fn: "add", a: 0, b: 1 }],
      out: "f",
    },
    {
      kind: "pointwise",
      id: "g",
      inputs: ["p"],
      inputTiles: [gTile],
      steps: [{ kind: "unary", fn: "copy", x: 0 }],
      out: "g",
    },
  ];
  const tensors = [
    tensor("f", 2, 320, "temp"),
    tensor("g", 2, 320, "temp"),
    tensor("m", 1, 960, "param"),
    tensor("p", 2, 960, "temp"),
    tensor("x", 2, 960, "input", "fp16"),
  ];
  // m is zero in tiles 0 and 1, one in tile 2.
  const m = Float64Array.from({ length: 960 }, (_, c) => (c >= 640 ? 1 : 0));
  return {
    name: "input_tiles",
    tensors,
    ops,
    outputs: [
      { name: "f", tensor: "f" },
      { name: "g", tensor: "g" },
    ],
    batch: 1,
    tokensPerPass: 1,
    constants: new Map([["m", m]]),
  };
}

const tilesOf = (k: KernelGraph) => (x: string) => Math.ceil(k.tensors.find((t) => t.id === x)!.cols / 320);

describe("a pointwise op reading inputs at fixed tiles (inputTiles)", () => {
  it("the kernel verifier accepts in-range tiles and names a tile outside its input's", () => {
    expect(verifyKernelGraph(graph(0))).toEqual([]);
    expect(verifyKernelGraph(graph(3))).toEqual(["g: input 0 'p' read at tile 3, not one of its 3"]);
    expect(verifyKernelGraph(graph(-1))).toEqual(["g: input 0 'p' read at tile -1, not one of its 3"]);
  });

  it("tile-live: the input is needed at the tiles read (1..2 by f, 0 by g), not at the output's tile 0", () => {
    const k = graph(2);
    // Both read p at tiles 1 and 2 only: its tile 0 is not computed (read at the output's tile, it would be).
    expect(liveTiles(k, tilesOf(k), () => false).get("p")).toEqual({ j0: 1, j1: 3 });
    const k0 = graph(0);
    expect(liveTiles(k0, tilesOf(k0), () => false).get("p")).toBeUndefined();
  });

  it("zero-tiles: an output is zero where the tile it reads is (g reads p's zero tile 1, not its nonzero tile 2)", () => {
    const zeros = zeroTiles(graph(1));
    expect(zeros.get("p")).toEqual(new Set([0, 1]));
    expect(zeros.get("g")).toEqual(new Set([0]));
    // f adds p's tile 1 (zero) and tile 2 (nonzero): not zero; g of p's tile 2 neither.
    expect(zeros.has("f")).toBe(false);
    expect(zeroTiles(graph(2)).has("g")).toBe(false);
  });

  it("zero-tiles: p's zero tiles read at fixed tiles stay made (none listed unread)", () => {
    const k = graph(1);
    // p's tile 1 is zero and read by f and g; its tile 0 is zero and read by nobody, but a fold's inputs count as
    // read whole (unreadZeroTiles), so no tile of p is left unmade.
    expect(unreadZeroTiles(k, zeroTiles(k)).has("p")).toBe(false);
  });
});
