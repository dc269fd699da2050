// Pass `tile`: partitioned kernel IR -> task IR. Tensors become 320-lane vectors (one per row per column tile);
// a matmul becomes, per output column tile and accumulator-sized row chunk, a chain of MXM tasks (LW a 320-row
// weight tile, IW, ABC the activations, accumulating over K tiles) ending in ACC -> convert -> write
// (tile-matmul.ts, tile-columns.ts); pointwise ops become read -> VXM -> write tasks per column tile. Pure; tasks
// come out in a valid order with their SRAM deps.
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import { partId } from "./in-place.ts";
import { repeatedTile } from "./kernel-builder.ts";
import type { KOp } from "./kernel-ir.ts";
import type { PartitionedGraph } from "./partition.ts";
import { inputView, type PointwiseOp, valueTypes } from "./pointwise-ir.ts";
import type { Step, TaskGraph } from "./task-ir.ts";
import { outputParts, partsOf } from "./tile-columns.ts";
import { taskRows, tileContext } from "./tile-context.ts";
import { liveTiles } from "./tile-live.ts";
import { lowerMatmul } from "./tile-matmul.ts";
import { asPointwise, pointwiseAtTile, pointwiseZeroInputs } from "./zero-tiles.ts";

/** Which of an op's output column tiles a lowering makes, on which chip of its stage, and the tensor it reads or
 * writes for each of the op's tensors there (a part, for a tensor held in parts). */
interface Range {
  readonly j0: number;
  readonly j1: number;
  readonly id: (x: string) => string;
  readonly chip: number;
}

export function tile(p: PartitionedGraph, machine: Machine): TaskGraph {
  const cx = tileContext(p, machine);
  const { byId, push, rowsOf, tasks, tensors } = cx;
  const kernelTensors = new Map(p.kernel.tensors.map((t) => [t.id, t]));
  /** A fused pointwise op: per column tile and row chunk, one task reading each input once, the steps on the VXM
   * in order (value v is task step v: the reads come first), one write. */
  const lowerPointwise = (op: PointwiseOp, on: Range = whole(op)): void => {
    const out = byId.get(on.id(op.out))!;
    const inputs = op.inputs.map((x) => ({ t: byId.get(on.id(x))!, view: inputView(byId.get(x)!, out) }));
    const chunk = taskRows(
      out.blockRows,
      ...inputs.filter((x) => !x.view.rowBroadcast).map((x) => x.t.blockRows),
    );
    const types = valueTypes(op, (x) => kernelTensors.get(x)!.dtype);
    const zeroInputs = pointwiseZeroInputs(
      op,
      (x) => kernelTensors.get(x)!,
      (x) => cx.zeros.get(x),
    );
    const unread = cx.unreadZeros.get(op.out);
    const nIn = op.inputs.length;
    for (let j = on.j0; j < on.j1; j++) {
      // A zero output tile nobody reads is not made; a zero input only an add uses here is left out (zero-tiles.ts).
      if (unread?.has(j)) continue;
      const ins = zeroInputs(j);
      const at = ins.some((z) => z) ? pointwiseAtTile(op, ins) : undefined;
      const kept = at && !at.zero ? at : undefined;
      for (let r0 = 0; r0 < out.rows; r0 += chunk) {
        const n = Math.min(chunk, out.rows - r0);
        /** Task step of each value (-1: left out). */
        const stepOf: number[] = [];
        const steps: Step[] = [];
        inputs.forEach(({ t, view }, i) => {
          stepOf.push(kept && !kept.needed[i] ? -1 : steps.length);
          if (stepOf[i]! < 0) return;
          steps.push({
            kind: "read",
            ref: rowsOf(
              t.id,
              op.inputTiles ? op.inputTiles[i]! : view.tileRepeated ? repeatedTile(j, t, out) : j,
              view.rowBroadcast ? 0 : r0,
              n,
              view.rowBroadcast ? 0 : 1,
            ),
            type: t.type,
          });
        });
        /** The task step holding value v (or what it equals here). */
        const arg = (v: number) => stepOf[kept ? kept.same[v]! : v]!;
        op.steps.forEach((s, i) => {
          const v = nIn + i;
          stepOf.push(kept && !kept.needed[v] ? -1 : steps.length);
          if (stepOf[v]! < 0) return;
          if (s.kind === "unary") steps.push({ kind: "vunary", fn: s.fn, type: types[v]!, src: arg(s.x), n });
          else if (s.kind === "imm")
            steps.push({ kind: "vbinary", fn: s.fn, type: types[v]!, a: arg(s.x), b: { imm: s.imm }, n });
          else if (s.kind === "binary")
            steps.push({ kind: "vbinary", fn: s.fn, type: types[v]!, a: arg(s.a), b: arg(s.b), n });
          else steps.push({ kind: "convert", from: types[s.x]!, to: types[v]!, src: arg(s.x), n });
        });
        let src = kept ? stepOf[kept.result]! : steps.length - 1;
        if (kept && kept.result < nIn) {
          // The result is an input as read: one pass through the VXM to the write.
          steps.push({ kind: "vunary", fn: "copy", type: types[kept.result]!, src, n });
          src = steps.length - 1;
        }
        steps.push({ kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src });
        push({ id: `${op.id}.t${j}.r${r0}`, op: op.id, steps }, [], on.chip);
      }
    }
  };
  /** An op over all of its tensors' tiles on its stage's first chip. */
  const whole = (op: KOp): Range => ({ j0: 0, j1: byId.get(op.out)!.tiles, id: (x) => x, chip: 0 });
  // Tensors held in parts (tile-columns.ts partsOf): an elementwise op split by columns (partition.ts nSplits)
  // runs chip c's range from its inputs' parts there into its own part (in-place.ts).
  const parts = partsOf(p);
  // A VXM op computes only the column tiles some reader reads (tile-live.ts).
  const live = liveTiles(
    p.kernel,
    (x) => byId.get(x)!.tiles,
    (op) => p.nSplits?.has(op) === true,
    cx.unreadZeros,
  );
  const ranges = (op: KOp): Range[] => {
    const n = p.nSplits?.get(op.id);
    const needed = live.get(op.out);
    if (needed) return [{ ...whole(op), ...needed }];
    if (!n || op.kind === "matmul") return [whole(op)];
    const out = byId.get(op.out)!;
    return n.slice(0, -1).map((j0, c) => {
      cx.temp(out, partId(op.out, c), out.type, c);
      return { j0, j1: n[c + 1]!, id: (x: string) => (parts.has(x) ? partId(x, c) : x), chip: c };
    });
  };

  const lowerBinary = (op: Extract<KOp, { kind: "binary" }>, on: Range): void => {
    const a = byId.get(on.id(op.a))!;
    const b = byId.get(on.id(op.b))!;
    const out = byId.get(on.id(op.out))!;
    const chunk = taskRows(a.blockRows, b.blockRows, out.blockRows);
    const bTile = (j: number) => (op.bTile ? repeatedTile(j, b, out) : j);
    for (let j = on.j0; j < on.j1; j++)
      for (let r0 = 0; r0 < a.rows; r0 += chunk) {
        const n = Math.min(chunk, a.rows - r0);
        if (a.id === b.id) {
          // x op x: one read feeds both operands.
          push(
            {
              id: `${op.id}.t${j}.r${r0}`,
              op: op.id,
              steps: [
                { kind: "read", ref: rowsOf(a.id, j, r0, n), type: a.type },
                { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 0, n },
                { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 1 },
              ],
            },
            [],
            on.chip,
          );
          continue;
        }
        push(
          {
            id: `${op.id}.t${j}.r${r0}`,
            op: op.id,
            steps: [
              { kind: "read", ref: rowsOf(a.id, j, r0, n), type: a.type },
              b.rows === 1
                ? { kind: "read", ref: rowsOf(b.id, bTile(j), 0, n, 0), type: b.type }
                : { kind: "read", ref: rowsOf(b.id, bTile(j), r0, n), type: b.type },
              { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: 1, n },
              { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 2 },
            ],
          },
          [],
          on.chip,
        );
      }
  };
  const lowerUnary = (op: Extract<KOp, { kind: "binaryImm" | "unary" | "convert" }>, on: Range): void => {
    const x = byId.get(on.id(op.x))!;
    const out = byId.get(on.id(op.out))!;
    const chunk = taskRows(x.blockRows, out.blockRows);
    for (let j = on.j0; j < on.j1; j++)
      for (let r0 = 0; r0 < x.rows; r0 += chunk) {
        const n = Math.min(chunk, x.rows - r0);
        const compute: Step =
          op.kind === "unary"
            ? { kind: "vunary", fn: op.fn, type: out.type, src: 0, n }
            : op.kind === "convert"
              ? { kind: "convert", from: x.type, to: out.type, src: 0, n }
              : { kind: "vbinary", fn: op.fn, type: out.type, a: 0, b: { imm: op.imm }, n };
        push(
          {
            id: `${op.id}.t${j}.r${r0}`,
            op: op.id,
            steps: [
              { kind: "read", ref: rowsOf(x.id, j, r0, n), type: x.type },
              compute,
              { kind: "write", ref: rowsOf(out.id, j, r0, n), type: out.type, src: 1 },
            ],
          },
          [],
          on.chip,
        );
      }
  };

  const lowerOp = (op: KOp): void => {
    switch (op.kind) {
      case "matmul": {
        lowerMatmul(cx, op);
        return;
      }
      case "binary": {
        // An add or sub with a zero tile in an operand is the pointwise op it is (zero-tiles.ts asPointwise).
        const pw = asPointwise(op);
        const zeroIn = pw && [op.a, op.b].some((x) => cx.zeros.has(x));
        for (const on of ranges(op)) zeroIn ? lowerPointwise(pw, on) : lowerBinary(op, on);
        return;
      }
      case "binaryImm":
      case "unary":
      case "convert": {
        for (const on of ranges(op)) lowerUnary(op, on);
        return;
      }
      case "pointwise": {
        for (const on of ranges(op)) lowerPointwise(op, on);
        return;
      }
      case "gather": {
        // Per column tile and row chunk: read the ids, move them into the table's rows on the VXM (a copy when
        // they are already), gather each token's row of the tile (one instruction per byte plane), write it.
        const ids = byId.get(op.ids)!;
        const table = byId.get(op.table)!;
        const out = byId.get(op.out)!;
        const chunk = Math.min(ids.blockRows, out.blockRows);
        const lastRow = table.rows - 1;
        for (let j = 0; j < out.tiles; j++)
          for (let r0 = 0; r0 < ids.rows; r0 += chunk) {
            const n = Math.min(chunk, ids.rows - r0);
            const steps: Step[] = [{ kind: "read", ref: rowsOf(ids.id, 0, r0, n), type: "int32" }];
            const index = (fn: "add" | "max" | "min", imm: number) =>
              steps.push({ kind: "vbinary", fn, type: "int32", a: steps.length - 1, b: { imm }, n });
            if (op.offset !== 0) index("add", op.offset);
            if (op.offset < 0) index("max", 0);
            if (op.idEnd - 1 + op.offset > lastRow) index("min", lastRow);
            if (steps.length === 1) steps.push({ kind: "vunary", fn: "copy", type: "int32", src: 0, n });
            steps.push({
              kind: "gather",
              ref: rowsOf(table.id, j, 0, n, 0),
              type: table.type,
              map: steps.length - 1,
            });
            steps.push({
              kind: "write",
              ref: rowsOf(out.id, j, r0, n),
              type: out.type,
              src: steps.length - 1,
            });
            push({ id: `${op.id}.t${j}.r${r0}`, op: op.id, steps });
          }
        return;
      }
      case "copyRows": {
        // Each range in pieces that stay inside one SRAM block of the source and of the destination.
        const out = byId.get(op.out)!;
        // Only the tiles some reader reads (tile-live.ts).
        const { j0, j1 } = live.get(op.out) ?? { j0: 0, j1: out.tiles };
        let at = 0;
        for (const part of op.parts) {
          const x = byId.get(part.x)!;
          for (let j = j0; j < j1; j++)
            for (let k = 0; k < part.n; ) {
              const src = part.row0 + k;
              const dst = at + k;
              const n = Math.min(
                part.n - k,
                x.blockRows - (src % x.blockRows),
                out.blockRows - (dst % out.blockRows),
              );
              push({
                id: `${op.id}.t${j}.r${dst}`,
                op: op.id,
                steps: [
                  { kind: "read", ref: rowsOf(x.id, j, src, n), type: x.type },
                  { kind: "vunary", fn: "copy", type: x.type, src: 0, n },
                  { kind: "write", ref: rowsOf(out.id, j, dst, n), type: out.type, src: 1 },
                ],
              });
              k += n;
            }
          at += part.n;
        }
        return;
      }
      default:
        assertNever(op, "kernel op");
    }
  };
  for (const op of p.kernel.ops) lowerOp(op);
  // An output split by columns and left in place is its parts, on their chips (tile-columns.ts).
  const outParts = outputParts(p);
  return {
    name: p.kernel.name,
    chips: p.chips,
    batch: p.kernel.batch,
    tokensPerPass: p.kernel.tokensPerPass,
    tasks,
    tensors: tensors.filter((t) => !parts.has(t.id)).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
    outputs: p.kernel.outputs.flatMap((o) =>
      (outParts.get(o.tensor) ?? [o.tensor]).map((tensor) => ({ name: o.name, tensor })),
    ),
    constants: p.kernel.constants,
  };
}
