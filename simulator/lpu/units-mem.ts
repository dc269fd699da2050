// MEM slice instructions (docs/isa.md, MEM): read, write, gather, scatter. Every access claims its bank's port for
// its cycle (bank-conflict), checks the address (address-range) and, for reads, writes not yet visible
// (write-in-flight). Out-of-range accesses are reported and skipped (a read then puts zeros).
import type { ChipState, QueueState, Vec } from "./chip.ts";
import { OP_GATHER, OP_SCATTER, OP_WRITE } from "./code.ts";
import type { Simulator } from "./simulator.ts";
import { schedulePut } from "./units.ts";

/** Accesses one word for reading at `cycle`: its bytes in a pooled vector (zeros when out of range), or null when
 * values are off. */
function access(
  sim: Simulator,
  q: QueueState,
  id: number,
  addr: number,
  cycle: number,
  i: number,
): Vec | null {
  const sram = q.chip.sram;
  const slice = q.index;
  if (!sram.inRange(addr)) {
    if (!sim.reportedAlready(id, "address-range"))
      sim.hazard("address-range", id, cycle, [
        `word ${addr} (vector ${i}) is outside ${q.name}'s words 0..${sram.wordsPerSlice - 1}`,
      ]);
    if (!sim.functional) return null;
    const v = sim.allocVec();
    v.planes[0]!.fill(0);
    return v;
  }
  const other = sram.claimBank(slice, addr, cycle, id);
  if (other >= 0 && !sim.reportedAlready(id, "bank-conflict"))
    sim.hazard("bank-conflict", id, cycle, [sram.bankOf(addr), q.name, sim.instName(other)]);
  const pending = sram.pendingWrite(slice, addr, cycle);
  if (pending)
    sim.hazard("write-in-flight", id, cycle, [addr, q.name, sim.instName(pending.writer), pending.visibleAt]);
  if (!sim.functional) return null;
  const v = sim.allocVec();
  sram.readInto(slice, addr, v.planes[0]!);
  return v;
}

function commit(
  sim: Simulator,
  q: QueueState,
  id: number,
  addr: number,
  value: Uint8Array | null,
  cycle: number,
  i: number,
): void {
  const sram = q.chip.sram;
  if (!sram.inRange(addr)) {
    if (!sim.reportedAlready(id, "address-range"))
      sim.hazard("address-range", id, cycle, [
        `word ${addr} (vector ${i}) is outside ${q.name}'s words 0..${sram.wordsPerSlice - 1}`,
      ]);
    return;
  }
  const other = sram.claimBank(q.index, addr, cycle, id);
  if (other >= 0 && !sim.reportedAlready(id, "bank-conflict"))
    sim.hazard("bank-conflict", id, cycle, [sram.bankOf(addr), q.name, sim.instName(other)]);
  sram.write(q.index, addr, value, cycle, cycle + sim.machine.mem.writeLatency, id);
  if (sim.logEntries) sim.note(q.chip, cycle, `${q.name} writes word ${addr}`);
}

/** `read`: the access of vector i in cycle t + i; the word is put L_read cycles later. */
export function memRead(
  sim: Simulator,
  chip: ChipState,
  q: QueueState,
  id: number,
  i: number,
  cycle: number,
): void {
  const code = sim.code;
  const addr = code.a[id]! + i * code.b[id]!;
  schedulePut(chip, id, cycle + code.latency[id]!, access(sim, q, id, addr, cycle, i));
}

/** The lane-0 int32 of the map group just taken; 0 when values are off (then the base address is used). */
function mapIndex(sim: Simulator): number {
  if (!sim.functional) return 0;
  const t = sim.taken;
  return t[0]![0]! | (t[1]![0]! << 8) | (t[2]![0]! << 16) | (t[3]![0]! << 24);
}

export function memTake(
  sim: Simulator,
  q: QueueState,
  id: number,
  op: number,
  i: number,
  cycle: number,
): void {
  const code = sim.code;
  switch (op) {
    case OP_WRITE: {
      sim.take(q, id, code.s0[id]!, 1, cycle);
      commit(sim, q, id, code.a[id]! + i * code.b[id]!, sim.functional ? sim.taken[0]! : null, cycle, i);
      return;
    }
    case OP_GATHER: {
      sim.take(q, id, code.s1[id]!, 4, cycle, "map ");
      const index = mapIndex(sim);
      const v = access(sim, q, id, code.a[id]! + index, cycle, i);
      schedulePut(q.chip, id, cycle + code.latency[id]!, v);
      return;
    }
    case OP_SCATTER: {
      sim.take(q, id, code.s0[id]!, 1, cycle);
      const word = sim.functional ? sim.taken[0]! : null;
      sim.take(q, id, code.s1[id]!, 4, cycle, "map ");
      commit(sim, q, id, code.a[id]! + mapIndex(sim), word, cycle, i);
      return;
    }
    default:
      throw new Error("internal error: read does not take a stream");
  }
}
