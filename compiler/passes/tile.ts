// Pass `tile`: partitioned kernel IR -> task IR. Tensors become 320-lane vectors (one per row per column tile);
// a matmul becomes, per output column tile and accumulator-sized row chunk, a chain of MXM tasks (LW a 320-row
// weight tile, IW, ABC the activations, accumulating over K tiles) ending in ACC -> convert -> write; pointwise ops
// become read -> VXM -> write tasks per column tile. Pure; tasks come out in a valid order with their SRAM deps.
import type { ElemType } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { DType } from "../graph/ir.ts";
import type { KOp } from "./kernel-ir.ts";
import type { PartitionedGraph } from "./partition.ts";
import type { Step, Task, TaskGraph, TiledTensor, VecRef } from "./task-ir.ts";

export function elemType(d: DType): ElemType {
  return d;
}

/** The MXM accumulates fp32 for float inputs, int32 for integer ones. */
function accumulatorType(t: ElemType): ElemType {
  return t === "int8" || t === "uint8" ? "int32" : "fp32";
}

export function tile(p: PartitionedGraph, machine: Machine): TaskGraph {
  const lanes = machine.lanes;
  const tensors: TiledTensor[] = p.kernel.tensors.map((t) => ({
    id: t.id,
    type: elemType(t.dtype),
    rows: t.rows,
    cols: t.cols,
    tiles: Math.ceil(t.cols / lanes),
    role: t.role,
    chip: p.chipOf.get(t.id) ?? 0,
    shape: t.shape,
    source: t.source,
  }));
  const byId = new Map(tensors.map((t) => [t.id, t]));
  const tasks: Task[] = [];
  /** Which tasks write each (tensor, column tile): a reader must be placed after all of them. */
  const writers = new Map<string, string[]>();
  const key = (tensor: string, tileIndex: number) => `${tensor}/${tileIndex}`;
  const depsOf = (steps: readonly Step[]): string[] => {
    const deps = new Set<string>();
    for (const s of steps)
      if (s.kind === "read") for (const w of writers.get(key(s.ref.tensor, s.ref.tile)) ?? []) deps.add(w);
    return [...deps];
  };
  const push = (task: Omit<Task, "after" | "chip">, extraAfter: readonly string[] = []): string => {
    const after = [...new Set([...depsOf(task.steps), ...extraAfter])];
    const chip = 0;
    tasks.push({ ...task, chip, after });
    for (const s of task.steps)
      if (s.kind === "write") {
        const k = key(s.ref.tensor, s.ref.tile);
        writers.set(k, [...(writers.get(k) ?? []), task.id]);
      }
    return task.id;
  };
  const rowsOf = (tensor: string, tileIndex: number, row: number, n: number, stride: 0 | 1 = 1): VecRef => ({
    tensor,
    tile: tileIndex,
    row,
    n,
    stride,
  });

  const lowerOp = (op: KOp): void => {
    switch (op.kind) {
      case "matmul": {
        // out[m, n] = sum_k a[m, k] * b[n, k]. Per output column tile j and row chunk: for each K tile i, LW the
        // rows n of b's column tile i (one weight row per output lane), IW, ABC a's column tile i; then ACC.
        const a = byId.get(op.a)!;
        const b = byId.get(op.b)!;
        const out = byId.get(op.out)!;
        const kTiles = Math.ceil(a.cols / lanes);
        const chunk = machine.mxm.accumulatorRows;
        const acc = accumulatorType(a.type);
        for (let j = 0; j < out.tiles; j++) {
          const nRows = Math.min(lanes, b.rows - j * lanes);
          for (let m0 = 0; m0 < a.rows; m0 += chunk) {
            const mn = Math.min(chunk, a.rows - m0);
            const group = `${op.id}.n${j}.m${m0}`;
            let prev: string | undefined;
            for (let i = 0; i < kTiles; i++) {
              const lw = push(
                {
                  id: `${group}.k${i}.lw`,
                  op: op.id,
                  mxmGroup: group,
                  steps: [
                    { kind: "read", ref: rowsOf(b.id, i, j * lanes, nRows), type: b.type },
                    { kind: "lw", type: b.type, src: 0, n: nRows, row0: 0 },
                  ],
                },
                prev ? [prev] : [],
              );
              const iw = push(
                { id: `${group}.k${i}.iw`, op: op.id, mxmGroup: group, steps: [{ kind: "iw" }] },
                [lw],
              );
              prev = push(
                {
                  id: `${group}.k${i}.abc`,
                  op: op.id,
                  mxmGroup: group,
                  steps: [
                    { kind: "read", ref: rowsOf(a.id, i, m0, mn), type: a.type },
                    { kind: "abc", type: a.type, src: 0, n: mn, row0: 0, accumulate: i > 0 },
                  ],
                },
                [iw],
              );
            }
            push(
              {
                id: `${group}.acc`,
                op: op.id,
                mxmGroup: group,
                mxmGroupEnd: true,
                steps: [
                  { kind: "acc", type: acc, n: mn, row0: 0 },
                  { kind: "convert", from: acc, to: out.type, src: 0, n: mn },
                  { kind: "write", ref: rowsOf(out.id, j, m0, mn), type: out.type, src: 1 },
                ],
              },
              [prev!],
            );
          }
        }
        return;
      }
      case "binary": {
        const a = byId.get(op.a)!;
        const b = byId.get(op.b)!;
        const out = byId.get(op.out)!;
        for (let j = 0; j < out.tiles; j++)
          push({
            id: `${op.id}.t${j}`,
            op: op.id,
            steps: [
              { kind: "read", ref: rowsOf(a.id, j, 0, a.rows), type: a.type },
              { kind: "read", ref: rowsOf(b.id, j, 0, a.rows, b.rows === 1 ? 0 : 1), type: b.type },
              { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 1, n: a.rows },
              { kind: "write", ref: rowsOf(out.id, j, 0, a.rows), type: out.type, src: 2 },
            ],
          });
        return;
      }
      case "binaryImm":
      case "unary": {
        const x = byId.get(op.x)!;
        const out = byId.get(op.out)!;
        for (let j = 0; j < out.tiles; j++) {
          const compute: Step =
            op.kind === "unary"
              ? { kind: "vunary", fn: op.fn, type: out.type, src: 0, n: x.rows }
              : { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: { imm: op.imm }, n: x.rows };
          push({
            id: `${op.id}.t${j}`,
            op: op.id,
            steps: [
              { kind: "read", ref: rowsOf(x.id, j, 0, x.rows), type: x.type },
              compute,
              { kind: "write", ref: rowsOf(out.id, j, 0, x.rows), type: out.type, src: 1 },
            ],
          });
        }
        return;
      }
      default:
        assertNever(op, "kernel op");
    }
  };
  for (const op of p.kernel.ops) lowerOp(op);
  return {
    name: p.kernel.name,
    chips: p.chips,
    batch: p.kernel.batch,
    tasks,
    tensors,
    outputs: p.kernel.outputs,
  };
}
