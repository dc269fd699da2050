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

/** Where an instance's instructions go. (Module functions below, not closures made per task or instance: under
 * tsx each named closure costs a `__name` call as it is made, which showed in profiles.) */
interface Target {
  readonly out: ScheduledInst[];
  readonly task: Task;
  readonly chip: number;
  readonly queue: QueueRef;
  readonly resource: string;
}

function emit(to: Target, inst: Instruction, cycle: number, busy: number): void {
  const { out, task, chip, queue, resource } = to;
  out.push({ chip, queue, cycle, inst, busy, resource, task: task.id, op: task.op, note: task.id });
}

/** The stream group carrying operand k into instance i of the task. */
function inputOf(task: Task, geo: Geometry, choice: Choice, i: number, operand: number): StreamRef {
  const gi = geo.groups.findIndex((g) => g.operands.includes(operand) && g.flows.some((f) => f.to === i));
  if (gi < 0) invariant(false, `${task.id}: instance ${i} has no operand ${operand}`);
  const r = choice.streams[gi]!;
  return streamRef(r.id, r.dir);
}

/** The stream group carrying instance i's result, and its byte plane. */
function outputOf(task: Task, geo: Geometry, choice: Choice, i: number): { ref: StreamRef; byte: number } {
  const gi = geo.groups.findIndex((g) => g.flows.some((f) => f.from === i));
  if (gi < 0) invariant(false, `${task.id}: instance ${i} feeds nothing`);
  const r = choice.streams[gi]!;
  return { ref: streamRef(r.id, r.dir), byte: geo.groups[gi]!.flows.find((f) => f.from === i)!.byte };
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
  geo.instances.forEach((inst, i) => {
    const s = task.steps[inst.step]!;
    const cycle = start + inst.rel;
    const queue: QueueRef =
      inst.unit === "vxm" ? queueRef("vxm", choice.alu[i]!) : queueRef(inst.unit, inst.index!);
    const to: Target = { out, task, chip, queue, resource: inst.timing.resource };
    switch (s.kind) {
      case "read": {
        const o = outputOf(task, geo, choice, i);
        const stream = streamRef(o.ref.id + o.byte, o.ref.dir);
        // inst.timing.n: one stream group of a wide weight read carries every width-th row only.
        const n = inst.timing.n;
        if (inst.spacing === 1)
          emit(to, { op: "read", addr: inst.addr, stream, n, stride: s.ref.stride }, cycle, n);
        else
          for (let k = 0; k < n; k++)
            emit(
              to,
              { op: "read", addr: inst.addr + k * s.ref.stride, stream, n: 1, stride: 1 },
              cycle + k * inst.spacing,
              1,
            );
        break;
      }
      case "gather": {
        // The table block's first word is the base; the map group is the VXM result every plane's slice takes.
        const o = outputOf(task, geo, choice, i);
        emit(
          to,
          {
            op: "gather",
            base: inst.addr,
            stream: streamRef(o.ref.id + o.byte, o.ref.dir),
            map: inputOf(task, geo, choice, i, 0),
            n: s.ref.n,
          },
          cycle,
          s.ref.n,
        );
        break;
      }
      case "write": {
        const src = inputOf(task, geo, choice, i, 0);
        const byte = geo.groups
          .find((g) => g.flows.some((f) => f.to === i))!
          .flows.find((f) => f.to === i)!.byte;
        emit(
          to,
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
          to,
          {
            op: "vunary",
            fn: s.fn,
            type: s.type,
            dst: outputOf(task, geo, choice, i).ref,
            src: inputOf(task, geo, choice, i, 0),
            n: s.n,
          },
          cycle,
          s.n,
        );
        break;
      case "vbinary": {
        const b = typeof s.b === "number" ? inputOf(task, geo, choice, i, 1) : s.b.imm;
        emit(
          to,
          {
            op: "vbinary",
            fn: s.fn,
            type: s.type,
            dst: outputOf(task, geo, choice, i).ref,
            a: inputOf(task, geo, choice, i, 0),
            b,
            n: s.n,
          },
          cycle,
          s.n,
        );
        break;
      }
      case "convert": {
        // Group j of a wide weight's convert (geometry.ts) takes stream j and puts streams j * bytes ..: the flows'
        // byte offsets; a plain convert has offset 0 on both sides. inst.timing.n: the group's rows.
        const src = inputOf(task, geo, choice, i, 0);
        const inByte = geo.groups
          .find((g) => g.flows.some((f) => f.to === i))!
          .flows.find((f) => f.to === i)!.byte;
        const o = outputOf(task, geo, choice, i);
        const n = inst.timing.n;
        emit(
          to,
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
          to,
          {
            op: "lw",
            type: s.type,
            src: inputOf(task, geo, choice, i, 0),
            n: s.n,
            row0: s.row0,
            ...((s.width ?? 1) > 1 ? { width: s.width } : {}),
          },
          cycle,
          inst.timing.busy,
        );
        break;
      case "iw":
        emit(to, { op: "iw" }, cycle, inst.timing.busy);
        break;
      case "abc":
        emit(
          to,
          {
            op: "abc",
            type: s.type,
            src: inputOf(task, geo, choice, i, 0),
            n: s.n,
            row0: s.row0,
            accumulate: s.accumulate,
          },
          cycle,
          inst.timing.busy,
        );
        break;
      case "acc":
        emit(
          to,
          { op: "acc", type: s.type, dst: outputOf(task, geo, choice, i).ref, n: s.n, row0: s.row0 },
          cycle,
          inst.timing.busy,
        );
        break;
      case "send":
        emit(
          to,
          { op: "send", type: s.type, src: inputOf(task, geo, choice, i, 0), n: s.n },
          cycle,
          inst.timing.busy,
        );
        break;
      case "recv":
        emit(
          to,
          { op: "recv", type: s.type, dst: outputOf(task, geo, choice, i).ref, n: s.n },
          cycle,
          inst.timing.busy,
        );
        break;
      default:
        assertNever(s, "step");
    }
  });
}
