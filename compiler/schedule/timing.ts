// The ISA's timing rules as the scheduler uses them: for each unit step, how long its queue is busy, when it takes
// operand vectors off a stream and when it puts results on one, relative to its issue cycle, at its own slice
// position. Streams then move one slice position per cycle (arch/machine.ts). Every number comes from the Machine.
// Contract: this file must agree with docs/isa.md and the simulator; it is the only place the scheduler's timing
// assumptions live, and test/compiler/schedule/timing.test.ts pins each rule.
import { ELEM_BYTES, type VxmBinaryOp, type VxmUnaryOp } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { Step } from "../passes/task-ir.ts";

/** The resource of its unit an instruction occupies (docs/isa.md, "Queues and issue"). */
export type UnitResource = "read" | "write" | "alu" | "loader" | "array" | "drain" | "sender" | "receiver";

export interface StepTiming {
  /** Cycles from issue during which `resource` is occupied (`slots` in docs/isa.md). */
  readonly busy: number;
  readonly resource: UnitResource;
  /** Operand vector i is taken off its stream at the unit's position at issue + inOffset + i * inSpacing. */
  readonly inOffset: number;
  readonly inSpacing: number;
  /** Result vector i is on the destination stream at the unit's position at issue + outOffset + i. */
  readonly outOffset: number;
  /** Vectors in and out. */
  readonly n: number;
}

const TRANSCENDENTAL: ReadonlySet<VxmUnaryOp | VxmBinaryOp> = new Set(["exp", "tanh", "rsqrt", "recip"]);

export function mxmCyclesPerVector(m: Machine, type: string): number {
  switch (type) {
    case "int8":
    case "uint8":
      return m.mxm.cyclesPerVector.int8;
    case "fp8":
      return m.mxm.cyclesPerVector.fp8;
    case "fp16":
      return m.mxm.cyclesPerVector.fp16;
    case "bf16":
      return m.mxm.cyclesPerVector.bf16;
    default:
      throw new Error(`internal error: the MXM takes no ${type} input`);
  }
}

export function stepTiming(m: Machine, s: Step): StepTiming {
  switch (s.kind) {
    // read: word i accessed at t + i, on the stream at t + L_read + i. gather: the same, after taking the map
    // group at t + i for word base + index.
    case "read":
    case "gather":
      return {
        busy: s.ref.n,
        resource: "read",
        inOffset: 0,
        inSpacing: 1,
        outOffset: m.mem.readLatency,
        n: s.ref.n,
      };
    // write: takes the stream and accesses the bank at t + i.
    case "write":
      return { busy: s.ref.n, resource: "write", inOffset: 0, inSpacing: 1, outOffset: 0, n: s.ref.n };
    case "vunary":
    case "vbinary": {
      const lat = TRANSCENDENTAL.has(s.fn) ? m.vxm.latency.transcendental : m.vxm.latency.simple;
      return { busy: s.n, resource: "alu", inOffset: 0, inSpacing: 1, outOffset: lat, n: s.n };
    }
    case "convert":
      return {
        busy: s.n,
        resource: "alu",
        inOffset: 0,
        inSpacing: 1,
        outOffset: m.vxm.latency.convert,
        n: s.n,
      };
    // lw: `width` rows a cycle (one per stream group), so ceil(n / width) cycles on the loader.
    case "lw": {
      const cycles = Math.ceil(s.n / (s.width ?? 1));
      return { busy: cycles, resource: "loader", inOffset: 0, inSpacing: 1, outOffset: 0, n: cycles };
    }
    // iw: the array is busy while the staged weights are swapped in.
    case "iw":
      return { busy: m.mxm.installLatency, resource: "array", inOffset: 0, inSpacing: 1, outOffset: 0, n: 0 };
    // abc: activation i taken at t + i*C; array busy n*C.
    case "abc": {
      const cpv = mxmCyclesPerVector(m, s.type);
      return { busy: s.n * cpv, resource: "array", inOffset: 0, inSpacing: cpv, outOffset: 0, n: s.n };
    }
    // acc: accumulator row i put on the stream at t + i.
    case "acc":
      return { busy: s.n, resource: "drain", inOffset: 0, inSpacing: 1, outOffset: 0, n: s.n };
    // send: takes vector i at t + i; the sender stays busy until its last word has left (see linkLeaves).
    case "send":
      return {
        busy: linkLeaves(m, s.n * ELEM_BYTES[s.type] - 1),
        resource: "sender",
        inOffset: 0,
        inSpacing: 1,
        outOffset: 0,
        n: s.n,
      };
    // recv: puts vector i at t + i.
    case "recv":
      return { busy: s.n, resource: "receiver", inOffset: 0, inSpacing: 1, outOffset: 0, n: s.n };
    default:
      return assertNever(s, "step");
  }
}

/** Cycle (relative to a write's issue) from which a read may access word i: taken at t + i, visible L_write later. */
export function writeReadableOffset(m: Machine, i: number): number {
  return i + m.mem.writeLatency;
}

/** Cycle (relative to ABC's issue) from which the result of activation vector i is in its accumulator row. */
export function abcResultOffset(m: Machine, type: string, i: number): number {
  return i * mxmCyclesPerVector(m, type) + m.mxm.latency;
}

/** Offset from issue of the last cycle in which the simulator has something to do for this step (an issue, a take,
 * a put, an SRAM access or an accumulator update): a program's cycle count is the last such cycle plus one.
 * `t` is the instance's timing (one stream group of a wide weight read has fewer words than the step). */
export function lastEventOffset(m: Machine, s: Step, spacing: number, t = stepTiming(m, s)): number {
  const last = Math.max(0, t.n - 1);
  switch (s.kind) {
    case "read":
      return t.outOffset + last * spacing;
    case "gather":
      return t.outOffset + last;
    case "write":
    case "lw":
      return last;
    case "vunary":
    case "vbinary":
    case "convert":
    case "acc":
      return t.outOffset + last;
    case "iw":
      return 0;
    case "abc":
      return abcResultOffset(m, s.type, last);
    case "send":
      return linkLeaves(m, s.n * ELEM_BYTES[s.type] - 1);
    case "recv":
      return last;
    default:
      return assertNever(s, "step");
  }
}

/**
 * Cycles from issue until the step neither has an event nor occupies its unit: the simulator's run lasts while any
 * unit is occupied (issue + slots) as well as while it has events. The two differ only when the occupancy outlasts
 * the events: an `abc` whose cyclesPerVector exceeds L_mxm + 1 holds the array after its last result is in (never
 * on tsp-v1: 4 < 21), or an `iw` that nothing follows.
 */
export function runEndOffset(m: Machine, s: Step, spacing: number, t = stepTiming(m, s)): number {
  return Math.max(lastEventOffset(m, s, spacing, t) + 1, t.busy);
}

/** One word's serialisation time on a link, lanes / linkBytesPerCycle, as the exact fraction num / den. */
export function linkWordTime(m: Machine): { num: number; den: number } {
  // lanes / (Gbps * 1e9 / 8 / (MHz * 1e6)) = lanes * 8 * MHz / (Gbps * 1000); scaled to integers.
  const num = Math.round(m.lanes * 8 * m.clockMHz * 1000);
  const den = Math.round(m.c2c.linkGbps * 1000 * 1000);
  return { num, den };
}

/**
 * Offset from a send's issue of the cycle word j leaves, when the link is idle at the issue: words are taken
 * faster than the link drains them, so word j finishes at issue + (j + 1) * num / den and leaves in the cycle
 * ceil of that (docs/isa.md, C2C). It arrives L_link cycles later on an aligned receiver.
 */
export function linkLeaves(m: Machine, j: number): number {
  const { num, den } = linkWordTime(m);
  return Math.ceil(((j + 1) * num) / den);
}
