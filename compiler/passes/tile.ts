// Pass `tile`: partitioned kernel IR -> task IR. Tensors become 320-lane vectors (one per row per column tile);
// a matmul becomes, per output column tile and accumulator-sized row chunk, a chain of MXM tasks (LW a 320-row
// weight tile, IW, ABC the activations, accumulating over K tiles) ending in ACC -> convert -> write; pointwise ops
// become read -> VXM -> write tasks per column tile. Pure; tasks come out in a valid order with their SRAM deps.
import type { ElemType } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { DType } from "../graph/ir.ts";
import type { EpilogueOp, KOp } from "./kernel-ir.ts";
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
  // Matmul weights are read a weight tile (mxm.rows rows) at a time; activations a few tiles at a time.
  const weights = new Set(p.kernel.ops.flatMap((op) => (op.kind === "matmul" ? [op.b] : [])));
  const weightBlock = machine.mxm.rows;
  const activationBlock = Math.max(
    weightBlock,
    Math.floor(machine.mxm.accumulatorRows / weightBlock) * weightBlock,
  );
  const tensors: TiledTensor[] = p.kernel.tensors.map((t) => ({
    blockRows: weights.has(t.id) ? weightBlock : activationBlock,
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

  /** Appends convert (from the accumulator type), the epilogue ops and the write of rows m0.. of out tile j. */
  const finish = (
    steps: Step[],
    src: number,
    acc: ElemType,
    out: TiledTensor,
    j: number,
    m0: number,
    mn: number,
    epilogue: readonly EpilogueOp[],
  ): void => {
    steps.push({ kind: "convert", from: acc, to: out.type, src, n: mn });
    let cur = steps.length - 1;
    for (const e of epilogue) {
      if (e.kind === "unary") steps.push({ kind: "vunary", fn: e.fn, type: out.type, src: cur, n: mn });
      else if (e.kind === "imm")
        steps.push({ kind: "vbinary", fn: e.fn, type: out.type, a: cur, b: { imm: e.imm }, n: mn });
      else {
        steps.push({ kind: "read", ref: rowsOf(e.b, j, 0, mn, 0), type: byId.get(e.b)!.type });
        steps.push({ kind: "vbinary", fn: e.fn, type: out.type, a: cur, b: steps.length - 1, n: mn });
      }
      cur = steps.length - 1;
    }
    steps.push({ kind: "write", ref: rowsOf(out.id, j, m0, mn), type: out.type, src: cur });
  };

  const lowerOp = (op: KOp): void => {
    switch (op.kind) {
      case "matmul": {
        // out[m, n] = sum_k a[m, k] * b[n, k]. Per output column tile j and row chunk: for each K tile i, LW the
        // rows n of b's column tile i (one weight row per output lane), IW, ABC a's column tile i; then ACC,
        // convert, the fused epilogue, write. When there are fewer such groups than MXM planes, the K tiles are
        // split over planes: each split drains an fp32 partial sum to SRAM and one VXM task adds them up.
        const a = byId.get(op.a)!;
        const b = byId.get(op.b)!;
        const out = byId.get(op.out)!;
        const kTiles = Math.ceil(a.cols / lanes);
        const chunk = Math.min(a.blockRows, out.blockRows, machine.mxm.accumulatorRows);
        const acc = accumulatorType(a.type);
        const groups = out.tiles * Math.ceil(a.rows / chunk);
        const splits =
          groups < machine.mxm.planes ? Math.min(kTiles, Math.floor(machine.mxm.planes / groups)) : 1;
        const partials: TiledTensor[] = [];
        for (let s = 0; s < (splits > 1 ? splits : 0); s++) {
          const part: TiledTensor = {
            ...out,
            id: `${out.id}.part${s}`,
            type: acc,
            role: "temp",
            source: undefined,
          };
          partials.push(part);
          tensors.push(part);
          byId.set(part.id, part);
        }
        for (let j = 0; j < out.tiles; j++) {
          const nRows = Math.min(lanes, b.rows - j * lanes);
          for (let m0 = 0; m0 < a.rows; m0 += chunk) {
            const mn = Math.min(chunk, a.rows - m0);
            for (let s = 0; s < splits; s++) {
              const k0 = Math.floor((s * kTiles) / splits);
              const k1 = Math.floor(((s + 1) * kTiles) / splits);
              const group = `${op.id}.n${j}.m${m0}${splits > 1 ? `.s${s}` : ""}`;
              let prev: string | undefined;
              for (let i = k0; i < k1; i++) {
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
                      { kind: "abc", type: a.type, src: 0, n: mn, row0: 0, accumulate: i > k0 },
                    ],
                  },
                  [iw],
                );
              }
              const steps: Step[] = [{ kind: "acc", type: acc, n: mn, row0: 0 }];
              if (splits > 1)
                steps.push({ kind: "write", ref: rowsOf(partials[s]!.id, j, m0, mn), type: acc, src: 0 });
              else finish(steps, 0, acc, out, j, m0, mn, op.epilogue ?? []);
              push({ id: `${group}.acc`, op: op.id, mxmGroup: group, mxmGroupEnd: true, steps }, [prev!]);
            }
            if (splits > 1) {
              const steps: Step[] = partials.map((pt) => ({
                kind: "read",
                ref: rowsOf(pt.id, j, m0, mn),
                type: acc,
              }));
              let sum = 0;
              for (let s = 1; s < splits; s++) {
                steps.push({ kind: "vbinary", fn: "add", type: acc, a: sum, b: s, n: mn });
                sum = steps.length - 1;
              }
              finish(steps, sum, acc, out, j, m0, mn, op.epilogue ?? []);
              push({ id: `${op.id}.n${j}.m${m0}.sum`, op: op.id, steps });
            }
          }
        }
        return;
      }
      case "binary": {
        const a = byId.get(op.a)!;
        const b = byId.get(op.b)!;
        const out = byId.get(op.out)!;
        const chunk = Math.min(a.blockRows, b.blockRows, out.blockRows);
        for (let j = 0; j < out.tiles; j++)
          for (let r0 = 0; r0 < a.rows; r0 += chunk) {
            const n = Math.min(chunk, a.rows - r0);
            if (a.id === b.id) {
              // x op x: one read feeds both operands.
              push({
                id: `${op.id}.t${j}.r${r0}`,
                op: op.id,
                steps: [
                  { kind: "read", ref: rowsOf(a.id, j, r0, n), type: a.type },
                  { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 0, n },
                  { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 1 },
                ],
              });
              continue;
            }
            push({
              id: `${op.id}.t${j}.r${r0}`,
              op: op.id,
              steps: [
                { kind: "read", ref: rowsOf(a.id, j, r0, n), type: a.type },
                b.rows === 1
                  ? { kind: "read", ref: rowsOf(b.id, j, 0, n, 0), type: b.type }
                  : { kind: "read", ref: rowsOf(b.id, j, r0, n), type: b.type },
                { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 1, n },
                { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 2 },
              ],
            });
          }
        return;
      }
      case "binaryImm":
      case "unary": {
        const x = byId.get(op.x)!;
        const out = byId.get(op.out)!;
        const chunk = Math.min(x.blockRows, out.blockRows);
        for (let j = 0; j < out.tiles; j++)
          for (let r0 = 0; r0 < x.rows; r0 += chunk) {
            const n = Math.min(chunk, x.rows - r0);
            const compute: Step =
              op.kind === "unary"
                ? { kind: "vunary", fn: op.fn, type: out.type, src: 0, n }
                : { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: { imm: op.imm }, n };
            push({
              id: `${op.id}.t${j}.r${r0}`,
              op: op.id,
              steps: [
                { kind: "read", ref: rowsOf(x.id, j, r0, n), type: x.type },
                compute,
                { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 1 },
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
    tensors: tensors.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
    outputs: p.kernel.outputs,
  };
}
