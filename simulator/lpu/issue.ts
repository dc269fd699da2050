// Issue (docs/isa.md "Queues and issue"): each queue issues its instructions in order, at their explicit cycle or
// as soon as the queue is free; an issue checks the queue and the unit resource it occupies (unit-busy), counts
// busy cycles, and starts the instruction (units.ts). ICU instructions act here: nop, deskew (a repeated one
// schedules its later repetitions as events), notify, sync (which parks the queue until its token is notified on
// the chip). Works on the typed code rows, not on objects.
import { mnemonicOf } from "../../arch/asm/names.ts";
import type { ChipState, QueueState } from "./chip.ts";
import { HAS_N, OP_DESKEW, OP_NOP, OP_NOTIFY, OP_SYNC, RES_NAME, RES_SLOT } from "./code.ts";
import { describeInstruction } from "./describe.ts";
import { PHASE_ISSUE } from "./events.ts";
import type { Simulator } from "./simulator.ts";
import { K_DESKEW, K_ISSUE, startInstruction } from "./units.ts";

/** Puts the queue's next instruction on the chip's calendar (unless the queue is done or parked). */
export function scheduleNext(sim: Simulator, q: QueueState): void {
  if (q.next >= q.count || q.parked) return;
  const explicit = sim.code.cycle[q.base + q.next]!;
  let at = explicit >= 0 ? explicit : q.nextFree;
  if (explicit >= 0 && explicit <= q.lastIssue) {
    q.pendingFault = { kind: "order", wanted: explicit, ref: q.lastIssue };
    at = Math.max(q.lastIssue + 1, q.nextFree);
  } else if (explicit >= 0 && q.releasedAt !== undefined && explicit <= q.releasedAt) {
    q.pendingFault = { kind: "late", wanted: explicit, ref: q.releasedAt };
    at = q.nextFree;
  }
  q.releasedAt = undefined;
  q.chip.heap.push(at, PHASE_ISSUE, K_ISSUE, q.serial, 0, null);
}

function occupant(sim: Simulator, id: number): string {
  const r = sim.record(id);
  return `#${r.k} '${mnemonicOf(r.placed.inst)}'`;
}

export function issue(sim: Simulator, q: QueueState, cycle: number): void {
  const id = q.base + q.next++;
  const code = sim.code;
  const op = code.op[id]!;
  const fault = q.pendingFault;
  if (fault !== undefined) {
    q.pendingFault = undefined;
    if (fault.kind === "order") {
      sim.hazard("unit-busy", id, cycle, [
        `its cycle ${fault.wanted} is not after the previous instruction's issue cycle ${fault.ref} (a queue issues in order, at most one instruction per cycle)`,
      ]);
    } else sim.hazard("late-issue", id, fault.wanted, [fault.ref]);
  }
  const slot = RES_SLOT[op]!;
  const slots = code.slots[id]!;
  const end = cycle + slots;
  if (q.resUntil(0) > cycle && !sim.reportedAlready(id, "unit-busy")) {
    sim.hazard("unit-busy", id, cycle, [
      `the queue is still occupied by ${occupant(sim, q.resBy(0))} until cycle ${q.resUntil(0)}`,
    ]);
  }
  if (slot !== 0) {
    if (q.resUntil(slot) > cycle && !sim.reportedAlready(id, "unit-busy")) {
      sim.hazard("unit-busy", id, cycle, [
        `the ${RES_NAME[op]} port of ${q.name} is busy with ${occupant(sim, q.resBy(slot))} until cycle ${q.resUntil(slot)}`,
      ]);
    }
    const from = Math.max(cycle, q.covered);
    if (end > from) q.busy += end - from;
    if (end > q.covered) q.covered = end;
  }
  q.occupy(slot, cycle, end, id, op);
  q.lastIssue = cycle;
  q.nextFree = end;
  const chip = q.chip;
  if (end > chip.end) chip.end = end;
  sim.instructions++;
  if (HAS_N[op] === 1) sim.vectors += code.n[id]!;
  if (sim.logEntries)
    sim.note(chip, cycle, `${q.name} issues ${describeInstruction(sim.record(id).placed.inst)}`);
  switch (op) {
    case OP_NOP:
      break;
    case OP_DESKEW:
      // Repetition 0 now; repetitions 1 .. n-1 come `period` cycles apart as events (units.ts K_DESKEW).
      chip.deskewAt = cycle;
      if (code.n[id]! > 1) chip.heap.push(cycle + code.b[id]!, PHASE_ISSUE, K_DESKEW, id, 1, null);
      break;
    case OP_NOTIFY:
      notify(sim, chip, code.a[id]!, cycle);
      break;
    case OP_SYNC: {
      const token = code.a[id]!;
      const u = chip.notified.get(token);
      if (u === undefined) {
        q.parked = { token: sim.prepared.tokens.names[token]!, tokenId: token, t: cycle, id };
        const list = chip.parked.get(token);
        if (list) list.push(q);
        else chip.parked.set(token, [q]);
        return;
      }
      release(sim, q, Math.max(cycle, u + 1));
      return;
    }
    default:
      startInstruction(sim, chip, q, id, op, cycle);
  }
  scheduleNext(sim, q);
}

function notify(sim: Simulator, chip: ChipState, token: number, cycle: number): void {
  if (chip.notified.has(token)) return;
  chip.notified.set(token, cycle);
  const parked = chip.parked.get(token) ?? [];
  chip.parked.delete(token);
  for (const q of parked) {
    const t = q.parked!.t;
    q.parked = undefined;
    release(sim, q, Math.max(t, cycle + 1));
  }
}

/** A sync completes at `done`; the queue's next instruction may issue the cycle after. */
function release(sim: Simulator, q: QueueState, done: number): void {
  q.occupy(0, done, done + 1, q.base + q.next - 1, OP_SYNC);
  q.nextFree = done + 1;
  q.releasedAt = done;
  if (done + 1 > q.chip.end) q.chip.end = done + 1;
  if (sim.logEntries) sim.note(q.chip, done, `${q.name} sync completes`);
  scheduleNext(sim, q);
}
