// When the scheduler releases a send (scheduler.ts): a fixed lead before its link frees, not at the cycle its data
// are written, so the link's FIFO order follows priority among the sends whose data are there by then. Hand-made
// tasks.
import { describe, expect, it } from "vitest";
import type { ElemType } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Placement, Step, Task, TaskGraph, TiledTensor } from "../../../compiler/passes/task-ir.ts";
import { schedule } from "../../../compiler/schedule/scheduler.ts";

const m = TSP_V1;
const T: ElemType = "fp16";

const tensor = (
  id: string,
  rows: number,
  chip: number,
  role: TiledTensor["role"],
  tiles = 1,
): TiledTensor => ({
  id,
  type: T,
  rows,
  cols: 320 * tiles,
  tiles,
  role,
  chip,
  shape: [rows, 320 * tiles],
  blockRows: rows,
});
/** Tile j of `t` in slice `slice + 2 j`. */
const block = (t: TiledTensor, slice: number): Placement => ({
  tensor: t.id,
  chip: t.chip,
  rows: t.rows,
  blockRows: t.rows,
  blocks: Array.from({ length: t.tiles }, (_, j) => ({
    tile: j,
    row0: 0,
    rows: t.rows,
    slices: [slice + 2 * j],
    addr: 0,
  })),
});
const ref = (tensor: string, n: number, tile = 0) => ({ tensor, tile, row: 0, n, stride: 1 as const });
const copy = (id: string, chip: number, from: Ref, to: Ref, after: string[]): Task => ({
  id,
  chip,
  op: id,
  after,
  steps: [
    { kind: "read", ref: ref(from[0], from[2], from[1]), type: T },
    { kind: "write", ref: ref(to[0], to[2], to[1]), type: T, src: 0 },
  ],
});
/** Tensor, tile, rows from row 0. */
type Ref = [string, number, number];
/** A send of tile `tile` of `x` (n rows) from chip 0 to chip 1 and its recv into `x1`, over link 0 of both. */
const move = (x: string, tile: number, n: number, after: string[]): Task[] => {
  const id = `${x}.t${tile}`;
  const send: Step = { kind: "send", type: T, src: 0, n, link: 0 };
  const recv: Step = { kind: "recv", type: T, n, link: 0, from: `${id}.send` };
  return [
    {
      id: `${id}.send`,
      chip: 0,
      op: `move.${x}`,
      after,
      steps: [{ kind: "read", ref: ref(x, n, tile), type: T }, send],
    },
    {
      id: `${id}.recv`,
      chip: 1,
      op: `move.${x}`,
      after: [`${id}.send`],
      steps: [recv, { kind: "write", ref: ref(`${x}1`, n, tile), type: T, src: 0 }],
    },
  ];
};

// On chip 0, `a` (20 rows) is written first, then row 0 of `b`'s tile 0 and rows 0..7 of its tile 1, both
// copies placed once a is, tile 0 written first, while a's 20 rows still cross the link (about 38 cycles a row).
// b's tile 0 ends the program's path on chip 1; its tile 1 feeds a chain of three copies.
const tensors = [
  tensor("p", 20, 0, "param"),
  tensor("a", 20, 0, "temp"),
  tensor("b", 8, 0, "temp", 2),
  tensor("a1", 20, 1, "temp"),
  tensor("b1", 8, 1, "temp", 2),
  tensor("d1", 1, 1, "temp"),
  tensor("e1", 1, 1, "temp"),
  tensor("f1", 1, 1, "temp"),
];
const tasks: Task[] = [
  copy("wa", 0, ["p", 0, 20], ["a", 0, 20], []),
  copy("wb", 0, ["a", 0, 1], ["b", 0, 1], ["wa"]),
  copy("wc", 0, ["a", 0, 8], ["b", 1, 8], ["wa"]),
  ...move("a", 0, 20, ["wa"]),
  ...move("b", 0, 1, ["wb"]),
  ...move("b", 1, 8, ["wc"]),
  copy("d", 1, ["b1", 1, 1], ["d1", 0, 1], ["b.t1.recv"]),
  copy("e", 1, ["d1", 0, 1], ["e1", 0, 1], ["d"]),
  copy("f", 1, ["e1", 0, 1], ["f1", 0, 1], ["e"]),
];
const graph: TaskGraph = {
  name: "link-release",
  chips: 2,
  batch: 1,
  tokensPerPass: 1,
  tasks,
  tensors,
  outputs: [],
  placements: tensors.map((t, i) => block(t, 4 * i)),
};

describe("release of a send", () => {
  const s = schedule(graph, m);
  const at = (id: string) => s.tasks.find((t) => t.task === id)!;

  it("of a column tile waits for its link to free while a tile of the same rows with a higher priority comes by then", () => {
    // b's two tiles are both written while a's rows cross; tile 0 first, tile 1's writer placed by then.
    expect(at("wb").end).toBeLessThan(at("wc").end);
    expect(at("wc").end).toBeLessThan(at("a.t0.send").end - 100);
    // Released at its data, tile 0's send took the FIFO place after a's and tile 1's the one after it.
    expect(at("b.t1.send").start).toBeLessThan(at("b.t0.send").start);
    expect(at("b.t1.send").start).toBeGreaterThanOrEqual(at("a.t0.send").end - 100);
    expect(at("f").end).toBeLessThan(at("b.t0.recv").end);
  });
});
