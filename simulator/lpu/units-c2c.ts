// C2C link instructions (docs/isa.md, C2C): send takes a vector at t + i and queues its bytes(T) words in the
// link's send buffer; the link serialises words in order at linkBytesPerCycle (exact fractions), a word leaves in
// sender cycle F = ceil(f_j) and arrives L_link cycles later in the receiver's clock (clock.ts). recv puts the next
// arrived words at t + i. A full send buffer is link-bandwidth; words not there in time are recv-empty.
import type { Instruction } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Activity, ChipState, LinkEnd } from "./chip.ts";
import { PHASE_UPDATE, type SimEvent } from "./heap.ts";
import type { Simulator } from "./simulator.ts";
import { K_ARRIVE, K_DEPART } from "./units.ts";

function end(act: Activity): LinkEnd {
  return act.q.chip.links[act.q.index]!;
}

export function c2cTake(
  sim: Simulator,
  act: Activity,
  inst: Extract<Instruction, { op: "send" }>,
  i: number,
  cycle: number,
): void {
  const link = end(act);
  const planes = sim.take(act, inst.src, ELEM_BYTES[inst.type], cycle);
  const { num, den } = sim.wordTime;
  const capacity = sim.machine.c2c.bufferWords;
  for (let b = 0; b < ELEM_BYTES[inst.type]; b++) {
    while (link.buffer.length > 0 && link.buffer[0]! <= cycle) link.buffer.shift();
    if (link.buffer.length >= capacity)
      sim.hazard("link-bandwidth", act.inst, cycle, [link.link, link.buffer.length]);
    const start = Math.max(cycle * den, link.lastFinish);
    const finish = start + num;
    link.lastFinish = finish;
    const leaves = Math.ceil(finish / den);
    link.buffer.push(leaves);
    link.sent++;
    act.q.chip.heap.push(leaves, PHASE_UPDATE, K_DEPART, link, i, planes ? planes[b]! : null);
  }
  if (sim.logEntries)
    sim.note(
      act.q.chip,
      cycle,
      `${act.q.name} sends vector ${i} (${ELEM_BYTES[inst.type]} word(s)) on link ${link.link}`,
    );
}

/** A word leaves the sender in this cycle: schedule its arrival in the receiver's clock. */
export function c2cDepart(sim: Simulator, chip: ChipState, ev: SimEvent, cycle: number): void {
  const link = ev.owner as LinkEnd;
  const peer = link.peer;
  if (!peer) return;
  const receiver = peer.chip;
  let at = receiver.clock.cycleAt(chip.clock.globalTime(cycle)) + sim.machine.c2c.latency;
  // Arrivals are in the receiver's future whenever L_link >= 2 (clock.ts); the step API's per-cycle holds could
  // otherwise place one in a cycle the receiver has already done.
  if (at <= receiver.lastCycle) at = receiver.lastCycle + 1;
  const to = receiver.links[peer.link]!;
  to.inFlight++;
  receiver.heap.push(at, PHASE_UPDATE, K_ARRIVE, to, ev.i, ev.data);
  if (at + 1 > receiver.end) receiver.end = at + 1;
  if (sim.logEntries)
    sim.note(
      chip,
      cycle,
      `c2c${link.link} word leaves for chip ${receiver.id} c2c${peer.link} (arrives in its cycle ${at})`,
    );
}

export function c2cArrive(sim: Simulator, chip: ChipState, ev: SimEvent, cycle: number): void {
  const link = ev.owner as LinkEnd;
  link.inFlight--;
  link.arrived.push({ value: ev.data as Uint8Array | null, at: cycle });
  if (sim.logEntries) sim.note(chip, cycle, `c2c${link.link} word arrives`);
}

export function c2cRecv(sim: Simulator, act: Activity, i: number, cycle: number): void {
  const inst = act.placed.inst as Extract<Instruction, { op: "recv" }>;
  const link = end(act);
  const words = ELEM_BYTES[inst.type];
  let planes: Uint8Array[] | null = null;
  if (link.arrived.length < words) {
    const hint = link.inFlight > 0 ? `${link.inFlight} word(s) are still on the wire` : undefined;
    sim.hazard(
      "recv-empty",
      act.inst,
      cycle,
      [words, link.link, link.arrived.length === 0 ? "none" : `only ${link.arrived.length}`],
      hint,
    );
    planes = sim.functional ? Array.from({ length: words }, () => sim.zero) : null;
  } else {
    const got = link.arrived.splice(0, words);
    link.received += words;
    planes = sim.functional ? got.map((w) => w.value ?? sim.zero) : null;
  }
  sim.put(act, inst.dst, planes, words, cycle, inst.type);
  void i;
}
