// MEM slice instructions (docs/isa.md, MEM): read, write, gather, scatter. Every access claims its bank's port for
// its cycle (bank-conflict), checks the address (address-range) and, for reads, writes not yet visible
// (write-in-flight). Out-of-range accesses are reported and skipped (a read then puts zeros).
import type { Instruction } from "../../arch/isa.ts";
import type { Activity } from "./chip.ts";
import type { Simulator } from "./simulator.ts";
import { schedulePut } from "./units.ts";
import { decode } from "./values.ts";

type MemInst = Extract<Instruction, { op: "read" | "write" | "gather" | "scatter" }>;

function slice(act: Activity): number {
  return act.q.index;
}

/** Accesses one word for reading at `cycle`; returns its bytes (zeros when out of range; null when values are off). */
function access(sim: Simulator, act: Activity, addr: number, cycle: number, i: number): Uint8Array | null {
  const sram = act.q.chip.sram;
  if (!sram.inRange(addr)) {
    sim.hazard("address-range", act.inst, cycle, [
      `word ${addr} (vector ${i}) is outside ${act.q.name}'s words 0..${sram.wordsPerSlice - 1}`,
    ]);
    return sim.functional ? new Uint8Array(sim.lanes) : null;
  }
  const other = sram.claimBank(slice(act), addr, cycle, act.inst.id);
  if (other >= 0)
    sim.hazard("bank-conflict", act.inst, cycle, [sram.bankOf(addr), act.q.name, sim.instName(other)]);
  const pending = sram.pendingWrite(slice(act), addr, cycle);
  if (pending)
    sim.hazard("write-in-flight", act.inst, cycle, [
      addr,
      act.q.name,
      sim.instName(pending.writer),
      pending.visibleAt,
    ]);
  return sram.read(slice(act), addr);
}

function commit(
  sim: Simulator,
  act: Activity,
  addr: number,
  value: Uint8Array | null,
  cycle: number,
  i: number,
): void {
  const sram = act.q.chip.sram;
  if (!sram.inRange(addr)) {
    sim.hazard("address-range", act.inst, cycle, [
      `word ${addr} (vector ${i}) is outside ${act.q.name}'s words 0..${sram.wordsPerSlice - 1}`,
    ]);
    return;
  }
  const other = sram.claimBank(slice(act), addr, cycle, act.inst.id);
  if (other >= 0)
    sim.hazard("bank-conflict", act.inst, cycle, [sram.bankOf(addr), act.q.name, sim.instName(other)]);
  sram.write(slice(act), addr, value, cycle, cycle + sim.machine.mem.writeLatency, act.inst.id);
  if (sim.logEntries) sim.note(act.q.chip, cycle, `${act.q.name} writes word ${addr}`);
}

/** `read`: the access of vector i in cycle t + i; the word is put L_read cycles later. */
export function memRead(sim: Simulator, act: Activity, i: number, cycle: number): void {
  const inst = act.placed.inst as Extract<Instruction, { op: "read" }>;
  const addr = inst.addr + i * inst.stride;
  const word = access(sim, act, addr, cycle, i);
  schedulePut(act, cycle + sim.machine.mem.readLatency, word ? [word] : null);
}

/** The lane-0 int32 of a map stream group; 0 when values are off (then the base address is used). */
function mapIndex(planes: Uint8Array[] | null, lanes: number): number {
  return planes ? decode("int32", planes, lanes)[0]! : 0;
}

export function memTake(sim: Simulator, act: Activity, inst: MemInst, i: number, cycle: number): void {
  switch (inst.op) {
    case "write": {
      const planes = sim.take(act, inst.stream, 1, cycle);
      commit(sim, act, inst.addr + i * inst.stride, planes ? planes[0]! : null, cycle, i);
      return;
    }
    case "gather": {
      const index = mapIndex(sim.take(act, inst.map, 4, cycle, "map "), sim.lanes);
      const word = access(sim, act, inst.base + index, cycle, i);
      schedulePut(act, cycle + sim.machine.mem.readLatency, word ? [word] : null);
      return;
    }
    case "scatter": {
      const planes = sim.take(act, inst.stream, 1, cycle);
      const index = mapIndex(sim.take(act, inst.map, 4, cycle, "map "), sim.lanes);
      commit(sim, act, inst.base + index, planes ? planes[0]! : null, cycle, i);
      return;
    }
    case "read":
      throw new Error("internal error: read does not take a stream");
  }
}
