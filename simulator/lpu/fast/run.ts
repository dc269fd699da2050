// The run-length fast path of `Simulator.run()` for timing-only runs (no values, no event log, nothing stepped yet).
// In: the simulator just constructed. Out: true when the whole run was simulated here and its final state installed
// (queues and their resources, written as each chip ends; chip ends and clocks, SRAM words used, MXM planes, link
// counts, the words still on the streams); false when any chip or link might meet a hazard, and then nothing is
// changed (the queues written are put back as constructed): the exact per-vector engine runs the program and gives
// the report.
//
// Every instruction still issues and is checked; its n vectors are checked as runs (chip-run.ts, segments.ts). In a
// timing-only run the chips only meet through link words, which change no issue time, so each chip runs alone from
// start to end (its state stays in cache; a stamped family's chips one after the other: runOrder) and the links are
// checked afterwards: each word's arrival in the receiver's clock, in the order the exact engine would process it
// (global time, then chip order), against the recvs.
import type { ChipState } from "../chip.ts";
import { TYPES } from "../code.ts";
import type { Simulator } from "../simulator.ts";
import { Bail } from "./bail.ts";
import { FastChip } from "./chip-run.ts";
import { Scratch } from "./chip-state.ts";
import { replayFinalPuts } from "./final.ts";
import { checkLinks } from "./links.ts";
import type { RunList } from "./num-list.ts";

/** Why the last attempt in this process fell back (for benchmarks and debugging). */
export let lastBail = "";
/** Instructions the last attempt encoded once for every chip that runs them (copied queues: fast/shared-code.ts). */
export let lastSharedRows = 0;

/**
 * Where the last attempt spent its time, in milliseconds of wall time (for benchmarks: bench/lpu-sim.ts): issuing and
 * executing the chips' instructions, the stream check among them (Segments.check), the link check, the install.
 * A few clock reads per chip: nothing per instruction. And the stream groups (over all chips) sorted, and those of
 * stamped copies whose records all matched their family reference's (chip-streams.ts), neither stored nor swept.
 */
export const lastPhases = {
  chips: 0,
  streams: 0,
  links: 0,
  install: 0,
  sorts: 0,
  matchedGroups: 0,
};

export function fastRun(sim: Simulator): boolean {
  const m = sim.machine;
  if (m.mem.writeLatency > 1 || m.c2c.latency < 2) {
    lastBail = "write latency above 1 or link latency below 2";
    return false;
  }
  const chips: FastChip[] = [];
  let clocks: ReturnType<typeof checkLinks> = [];
  const scratch = new Scratch(sim);
  const phases = lastPhases;
  phases.chips = phases.streams = phases.links = phases.install = phases.sorts = phases.matchedGroups = 0;
  let t = performance.now();
  /** The chips in the order they ran (a family's together), for putting their queues back if the run gives way. */
  const ran: FastChip[] = [];
  try {
    const order = runOrder(sim, scratch);
    const byIndex: FastChip[] = new Array(sim.chips.length);
    for (const { k, family } of order) {
      const fc = new FastChip(sim, sim.chips[k]!, scratch);
      fc.runIndex = ran.length;
      ran.push(fc);
      fc.run();
      fc.deskewTo = sortUnique(scratch.deskews, fc.deskewFrom);
      phases.streams += fc.streamMs;
      phases.sorts += fc.sorts;
      phases.matchedGroups += fc.matchedGroups;
      byIndex[k] = fc;
      if (family !== undefined) scratch.endFamily(family);
    }
    for (const fc of byIndex) chips.push(fc);
    phases.chips = performance.now() - t;
    t = performance.now();
    clocks = checkLinks(sim, chips, scratch.deskews, scratch.anchors, scratch.arena);
    phases.links = performance.now() - t;
  } catch (e) {
    lastSharedRows = scratch.shared.encoded;
    // The queues of the chips that ran hold their final states (FastChip.run): back as the constructor left them.
    for (const fc of ran) for (const q of fc.chip.queues) q.reset();
    if (e instanceof Bail) {
      lastBail = e.reason;
      return false;
    }
    throw e;
  }
  lastBail = "";
  lastSharedRows = scratch.shared.encoded;
  sim.markInstructionsChecked();
  t = performance.now();
  install(sim, chips, clocks);
  phases.install = performance.now() - t;
  return true;
}

function install(sim: Simulator, chips: readonly FastChip[], clocks: ReturnType<typeof checkLinks>): void {
  let now = sim.now;
  for (let k = 0; k < chips.length; k++) {
    const fc = chips[k]!;
    sim.instructions += fc.instructions;
    sim.vectors += fc.vectors;
    const chip = fc.chip;
    chip.dropEvents();
    chip.end = Math.max(fc.end, fc.lastEvent + 1);
    chip.lastCycle = fc.lastEvent;
    // The clock as its deskews left it (computed deskew by deskew as ChipClock.deskew does, in links.ts).
    if (fc.deskewTo > fc.deskewFrom) {
      const c = clocks[k]!;
      chip.clock.restore(c.cycle, c.time, c.pause);
      chip.deskewAt = c.cycle - 1;
    }
    for (const [token, u] of fc.notified) chip.notified.set(token, u);
    chip.sram.installUsedCount(fc.usedWords);
    fc.planes.forEach((fp, i) => {
      const p = chip.planes[i]!;
      if (fp.stagingType >= 0) p.stagingType = TYPES[fp.stagingType];
      if (fp.installedBy >= 0) {
        p.installedBy = fp.installedBy;
        p.weightsType = fp.weightsType >= 0 ? TYPES[fp.weightsType] : undefined;
        p.usableFrom = fp.usableFrom;
      }
      const w = fp.written;
      // A plane no run wrote yet (always, as the fast path runs only a simulator just constructed) keeps the rows
      // the run wrote as they are (FastPlane.keepRows).
      if (w) p.useWrittenRows(w.rows, w.ready, w.types);
    });
    fc.links.forEach((fl, i) => {
      const end = chip.links[i]!;
      end.sent = fl.leaves.length;
      end.received = fl.received;
      end.inFlight = 0;
    });
    if (chip.end > now) now = chip.end;
  }
  // The words on the streams at the last cycle: the puts of its last few cycles, replayed into the stream file when
  // something first looks (state()).
  // The closure holds the chip and its few records only: capturing the FastChip would keep the run's scratch
  // (the stream segments, the shared encodings) alive as long as the simulator.
  for (const fc of chips) deferFinalPuts(sim, fc.chip, fc.recent, now - 1);
}

function deferFinalPuts(sim: Simulator, chip: ChipState, recent: readonly number[], last: number): void {
  chip.streams.defer(() => replayFinalPuts(sim, chip, recent, last));
}

/**
 * The order the chips run in: the simulator's, except that the chips of a family (an original and its stamped
 * copies) run one after the other, from where its first chip stands, so that what they share (the lists' encodings,
 * the reference's logs) is read while it is in cache and dropped when the last of them ends (`family` set on that
 * one). The chips meet only through link words, checked after every chip ran (links.ts, in the simulator's chip
 * order), so the order changes nothing in the results: the first of a family to run is still its reference.
 */
function runOrder(sim: Simulator, scratch: Scratch): { k: number; family: number | undefined }[] {
  const members = new Map<number, number[]>();
  sim.chips.forEach((chip, k) => {
    const f = scratch.familyOf(chip.id);
    if (f === undefined) return;
    const list = members.get(f);
    if (list) list.push(k);
    else members.set(f, [k]);
  });
  const order: { k: number; family: number | undefined }[] = [];
  sim.chips.forEach((chip, k) => {
    const f = scratch.familyOf(chip.id);
    if (f === undefined) order.push({ k, family: undefined });
    else if (members.get(f)![0] === k) {
      const list = members.get(f)!;
      for (let i = 0; i < list.length; i++)
        order.push({ k: list[i]!, family: i === list.length - 1 ? f : undefined });
    }
  });
  return order;
}

/** Sorts entries [from, length) of the list and drops repeats; returns the new length. A chip's deskews are one
 * increasing run per deskew instruction, usually one: checked in order first, sorted only when they are not. */
function sortUnique(list: RunList, from: number): number {
  const d = list.data;
  let sorted = true;
  for (let j = from + 1; j < list.length; j++)
    if (!(d[j - 1]! < d[j]!)) {
      sorted = false;
      break;
    }
  if (sorted) return list.length;
  // A typed array sorts numerically with no comparator call.
  const mine = d.slice(from, list.length).sort();
  let k = from;
  for (let j = 0; j < mine.length; j++) if (k === from || d[k - 1] !== mine[j]) d[k++] = mine[j]!;
  list.length = k;
  return k;
}
