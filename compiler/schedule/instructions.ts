// A placed task -> ISA instructions: each unit instance becomes one instruction (a MEM read feeding a unit that
// takes one vector every k cycles becomes one single-vector read per vector), with the streams the scheduler chose.
import type { Instruction, QueueRef, StreamRef } from "../../arch/isa.ts";
import { assertNever, invariant } from "../../util/assert.ts";
import type { Task } from "../passes/task-ir.ts";
import type { Geometry } from "./geometry.ts";
import type { ScheduledInst } from "./schedule-ir.ts";
import type { Choice } from "./trial.ts";

// Queue and stream references are read-only data: one shared object per value, not one per instruction.
const queueRefs: Record<QueueRef["kind"], QueueRef[]> = { mem: [], vxm: [], mxm: [], sxm: [], c2c: [] };
function queueRef(kind: QueueRef["kind"], index: number): QueueRef {
  const byIndex = queueRefs[kind];
  let q = byIndex[index];
  if (!q) {
    q = { kind, index };
    byIndex[index] = q;
  }
  return q;
}
const streamRefs: StreamRef[][] = [[], []];
function streamRef(id: number, dir: StreamRef["dir"]): StreamRef {
  const byId = streamRefs[dir === "e" ? 0 : 1]!;
  let r = byId[id];
  if (!r) {
    r = { id, dir };
    byId[id] = r;
  }
  return r;
}

/** Appends the task's instructions to `out` (the schedule's list: no array per task). */
export function buildInstructions(
  task: Task,
  geo: Geometry,
  chip: number,
  start: number,
  choice: Choice,
  out: ScheduledInst[],
): void {
  /** The stream group carrying operand k into instance i, and the one carrying i's result. */
  const inputOf = (i: number, operand: number): StreamRef => {
    const gi = geo.groups.findIndex((g) => g.operands.includes(operand) && g.flows.some((f) => f.to === i));
    if (gi < 0) invariant(false, `${task.id}: instance ${i} has no operand ${operand}`);
    const r = choice.streams[gi]!;
    return streamRef(r.id, r.dir);
  };
  const outputOf = (i: number): { ref: StreamRef; byte: number } => {
    const gi = geo.groups.findIndex((g) => g.flows.some((f) => f.from === i));
    if (gi < 0) invariant(false, `${task.id}: instance ${i} feeds nothing`);
    const r = choice.streams[gi]!;
    return { ref: streamRef(r.id, r.dir), byte: geo.groups[gi]!.flows.find((f) => f.from === i)!.byte };
  };
  geo.instances.forEach((inst, i) => {
    const s = task.steps[inst.step]!;
    const cycle = start + inst.rel;
    const queue: QueueRef =
      inst.unit === "vxm" ? queueRef("vxm", choice.alu[i]!) : queueRef(inst.unit, inst.index!);
    const emit = (inst2: Instruction, at: number, busy: number) =>
      out.push({
        chip,
        queue,
        cycle: at,
        inst: inst2,
        busy,
        resource: inst.timing.resource,
        task: task.id,
        op: task.op,
        note: task.id,
      });
    switch (s.kind) {
      case "read": {
        const o = outputOf(i);
        const stream = streamRef(o.ref.id + o.byte, o.ref.dir);
        // inst.timing.n: one stream group of a wide weight read carries every width-th row only.
        const n = inst.timing.n;
        if (inst.spacing === 1)
          emit({ op: "read", addr: inst.addr, stream, n, stride: s.ref.stride }, cycle, n);
        else
          for (let k = 0; k < n; k++)
            emit(
              { op: "read", addr: inst.addr + k * s.ref.stride, stream, n: 1, stride: 1 },
              cycle + k * inst.spacing,
              1,
            );
        break;
      }
      case "gather": {
        // The table block's first word is the base; the map group is the VXM result every plane's slice takes.
        const o = outputOf(i);
        emit(
          {
            op: "gather",
            base: inst.addr,
            stream: streamRef(o.ref.id + o.byte, o.ref.dir),
            map: inputOf(i, 0),
            n: s.ref.n,
          },
          cycle,
          s.ref.n,
        );
        break;
      }
      case "write": {
        const src = inputOf(i, 0);
        const byte = geo.groups
          .find((g) => g.flows.some((f) => f.to === i))!
          .flows.find((f) => f.to === i)!.byte;
        emit(
          {
            op: "write",
            addr: inst.addr,
            stream: streamRef(src.id + byte, src.dir),
            n: s.ref.n,
            stride: 1,
          },
          cycle,
          s.ref.n,
        );
        break;
      }
      case "vunary":
        emit(
          { op: "vunary", fn: s.fn, type: s.type, dst: outputOf(i).ref, src: inputOf(i, 0), n: s.n },
          cycle,
          s.n,
        );
        break;
      case "vbinary": {
        const b = typeof s.b === "number" ? inputOf(i, 1) : s.b.imm;
        emit(
          { op: "vbinary", fn: s.fn, type: s.type, dst: outputOf(i).ref, a: inputOf(i, 0), b, n: s.n },
          cycle,
          s.n,
        );
        break;
      }
      case "convert": {
        // Group j of a wide weight's convert (geometry.ts) takes stream j and puts streams j * bytes ..: the flows'
        // byte offsets; a plain convert has offset 0 on both sides. inst.timing.n: the group's rows.
        const src = inputOf(i, 0);
        const inByte = geo.groups
          .find((g) => g.flows.some((f) => f.to === i))!
          .flows.find((f) => f.to === i)!.byte;
        const o = outputOf(i);
        const n = inst.timing.n;
        emit(
          {
            op: "convert",
            from: s.from,
            to: s.to,
            dst: streamRef(o.ref.id + o.byte, o.ref.dir),
            src: streamRef(src.id + inByte, src.dir),
            n,
          },
          cycle,
          n,
        );
        break;
      }
      case "lw":
        emit(
          {
            op: "lw",
            type: s.type,
            src: inputOf(i, 0),
            n: s.n,
            row0: s.row0,
            ...((s.width ?? 1) > 1 ? { width: s.width } : {}),
          },
          cycle,
          inst.timing.busy,
        );
        break;
      case "iw":
        emit({ op: "iw" }, cycle, inst.timing.busy);
        break;
      case "abc":
        emit(
          { op: "abc", type: s.type, src: inputOf(i, 0), n: s.n, row0: s.row0, accumulate: s.accumulate },
          cycle,
          inst.timing.busy,
        );
        break;
      case "acc":
        emit(
          { op: "acc", type: s.type, dst: outputOf(i).ref, n: s.n, row0: s.row0 },
          cycle,
          inst.timing.busy,
        );
        break;
      case "send":
        emit({ op: "send", type: s.type, src: inputOf(i, 0), n: s.n }, cycle, inst.timing.busy);
        break;
      case "recv":
        emit({ op: "recv", type: s.type, dst: outputOf(i).ref, n: s.n }, cycle, inst.timing.busy);
        break;
      default:
        assertNever(s, "step");
    }
  });
}
