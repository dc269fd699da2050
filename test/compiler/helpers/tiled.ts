// Hand-built task-IR pieces for scheduler tests: a one-tile tensor on chip 0 and its placement in one block.
import type { ElemType } from "../../../arch/isa.ts";
import type { Placement, TiledTensor } from "../../../compiler/passes/task-ir.ts";

/** A tensor of `rows` vectors of 320 lanes, one column tile, on chip 0. */
export const oneTileTensor = (
  id: string,
  type: ElemType,
  rows: number,
  role: TiledTensor["role"],
): TiledTensor => ({
  id,
  type,
  rows,
  cols: 320,
  tiles: 1,
  role,
  chip: 0,
  shape: [rows, 320],
  blockRows: rows,
});

/** `tensor` placed on chip 0 as one block of `rows` words from `addr` in each of `slices`. */
export const oneBlock = (tensor: string, slices: number[], addr: number, rows: number): Placement => ({
  tensor,
  chip: 0,
  rows,
  blockRows: rows,
  blocks: [{ tile: 0, row0: 0, rows, slices, addr }],
});
