// What an instruction occupies when it issues: its queue's resource and for how many cycles (docs/isa.md, "Queues and
// issue" and the slots table). In: an Instruction and the machine. Out: the resource's name and the cycle count.
import { deskewSlots, type Instruction } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import { cyclesPerVector } from "./code.ts";

type Resource =
  | "queue"
  | "read"
  | "write"
  | "alu"
  | "loader"
  | "array"
  | "drain"
  | "unit"
  | "sender"
  | "receiver";

export function resourceOf(inst: Instruction): Resource {
  switch (inst.op) {
    case "nop":
    case "sync":
    case "notify":
    case "deskew":
      return "queue";
    case "read":
    case "gather":
      return "read";
    case "write":
    case "scatter":
      return "write";
    case "vunary":
    case "vbinary":
    case "convert":
    case "vaccum":
      return "alu";
    case "lw":
      return "loader";
    case "iw":
    case "abc":
      return "array";
    case "acc":
      return "drain";
    case "sxm":
      return "unit";
    case "send":
      return "sender";
    case "recv":
      return "receiver";
    default:
      return assertNever(inst, "instruction");
  }
}

/** Cycles an instruction occupies its resource (docs/isa.md, the slots table). */
export function slotsOf(m: Machine, inst: Instruction): number {
  switch (inst.op) {
    case "nop":
      return inst.cycles;
    case "sync":
    case "notify":
      return 1;
    case "deskew":
      return deskewSlots(inst);
    case "iw":
      return m.mxm.installLatency;
    case "abc":
      return inst.n * cyclesPerVector(m, inst.type);
    case "lw":
      return Math.ceil(inst.n / (inst.width ?? 1));
    default:
      return inst.n;
  }
}
