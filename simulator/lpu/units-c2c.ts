// C2C link instructions (docs/isa.md, C2C): send takes a vector at t + i and queues its bytes(T) words in the
// link's send buffer; the link serialises words in order at linkBytesPerCycle (exact fractions), a word leaves in
// sender cycle F = ceil(f_j) and arrives L_link cycles later in the receiver's clock (clock.ts). recv puts the next
// arrived words at t + i. A full send buffer is link-bandwidth; words not there in time are recv-empty.
import type { ChipState, LinkEnd, QueueState } from "./chip.ts";
import { TYPE_BYTES, TYPES } from "./code.ts";
import { PHASE_UPDATE } from "./events.ts";
import type { Simulator } from "./simulator.ts";
import { K_ARRIVE, K_DEPART } from "./units.ts";

/** Drops the words that left the send buffer by `cycle`; returns how many remain. */
function buffered(link: LinkEnd, cycle: number): number {
  while (link.bufLen > 0 && link.buffer[link.bufHead]! <= cycle) {
    link.bufHead = (link.bufHead + 1) % link.buffer.length;
    link.bufLen--;
  }
  return link.bufLen;
}

function enqueue(link: LinkEnd, leaves: number): void {
  if (link.bufLen === link.buffer.length) {
    const bigger = new Float64Array(Math.max(64, link.buffer.length * 2));
    for (let k = 0; k < link.bufLen; k++) bigger[k] = link.buffer[(link.bufHead + k) % link.buffer.length]!;
    link.buffer = bigger;
    link.bufHead = 0;
  }
  link.buffer[(link.bufHead + link.bufLen) % link.buffer.length] = leaves;
  link.bufLen++;
}

export function c2cTake(sim: Simulator, q: QueueState, id: number, i: number, cycle: number): void {
  const link = q.chip.links[q.index]!;
  const bytes = TYPE_BYTES[sim.code.t0[id]!]!;
  sim.take(q, id, sim.code.s1[id]!, bytes, cycle);
  const { num, den } = sim.wordTime;
  const capacity = sim.machine.c2c.bufferWords;
  for (let b = 0; b < bytes; b++) {
    const held = buffered(link, cycle);
    if (held >= capacity) sim.hazard("link-bandwidth", id, cycle, [link.link, held]);
    const start = Math.max(cycle * den, link.lastFinish);
    const finish = start + num;
    link.lastFinish = finish;
    const leaves = Math.ceil(finish / den);
    enqueue(link, leaves);
    link.sent++;
    let word: Uint8Array | null = null;
    if (sim.functional) {
      word = sim.allocWord();
      word.set(sim.taken[b]!);
    }
    q.chip.heap.push(leaves, PHASE_UPDATE, K_DEPART, link.link, i, word);
  }
  if (sim.logEntries)
    sim.note(q.chip, cycle, `${q.name} sends vector ${i} (${bytes} word(s)) on link ${link.link}`);
}

/** A word leaves the sender in this cycle: schedule its arrival in the receiver's clock. */
export function c2cDepart(
  sim: Simulator,
  chip: ChipState,
  linkIndex: number,
  i: number,
  word: Uint8Array | null,
  cycle: number,
): void {
  const link = chip.links[linkIndex]!;
  const peer = link.peer;
  if (!peer) {
    if (word) sim.freeWord(word);
    return;
  }
  const receiver = peer.chip;
  let at = receiver.clock.cycleAt(chip.clock.globalTime(cycle)) + sim.machine.c2c.latency;
  // Arrivals are in the receiver's future whenever L_link >= 2 (clock.ts); the step API's per-cycle holds could
  // otherwise place one in a cycle the receiver has already done.
  if (at <= receiver.lastCycle) at = receiver.lastCycle + 1;
  const to = receiver.links[peer.link]!;
  to.inFlight++;
  receiver.heap.push(at, PHASE_UPDATE, K_ARRIVE, peer.link, i, word);
  if (at + 1 > receiver.end) receiver.end = at + 1;
  sim.touch(receiver);
  if (sim.logEntries)
    sim.note(
      chip,
      cycle,
      `c2c${link.link} word leaves for chip ${receiver.id} c2c${peer.link} (arrives in its cycle ${at})`,
    );
}

export function c2cArrive(
  sim: Simulator,
  chip: ChipState,
  linkIndex: number,
  word: Uint8Array | null,
  cycle: number,
): void {
  const link = chip.links[linkIndex]!;
  link.inFlight--;
  link.arrived.push(word);
  if (sim.logEntries) sim.note(chip, cycle, `c2c${link.link} word arrives`);
}

export function c2cRecv(sim: Simulator, q: QueueState, id: number, cycle: number): void {
  const code = sim.code;
  const link = q.chip.links[q.index]!;
  const t = code.t0[id]!;
  const words = TYPE_BYTES[t]!;
  const waiting = link.waiting;
  const planes = sim.taken;
  if (waiting < words) {
    const hint = link.inFlight > 0 ? `${link.inFlight} word(s) are still on the wire` : undefined;
    sim.hazard("recv-empty", id, cycle, [words, link.link, waiting === 0 ? "none" : `only ${waiting}`], hint);
    for (let b = 0; b < words; b++) planes[b] = sim.zero;
    sim.put(q, id, code.s0[id]!, sim.functional ? planes : null, words, cycle, TYPES[t]);
    return;
  }
  for (let b = 0; b < words; b++) planes[b] = link.arrived[link.arrivedHead + b] ?? sim.zero;
  link.arrivedHead += words;
  link.received += words;
  sim.put(q, id, code.s0[id]!, sim.functional ? planes : null, words, cycle, TYPES[t]);
  for (let b = 0; b < words; b++) sim.freeWord(planes[b]!);
  // Drop the received words from the list now and then, so it stays as long as what waits.
  if (link.arrivedHead > 64 && link.arrivedHead * 2 > link.arrived.length) {
    link.arrived.splice(0, link.arrivedHead);
    link.arrivedHead = 0;
  }
}
