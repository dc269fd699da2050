// Stamping a repeated block (docs/compiler.md "Stamping repeated layers"): the program of the reduced model
// (reduce-repeat.ts: unit 0 of a `repeat`, alone or with the last unit, placed by `--partition layers`; a unit is
// one instance or a few on whole nodes) -> the program of all n units. With r units reduced (1 or 2), unit k
// (1 <= k <= n - r) is unit 0's chips translated by k * width chips with every issue cycle shifted by k * delta; the
// group after unit 0 (the ops after the repeat, or the last unit and those ops) is the reduced program's translated
// by (n - r) * width and shifted by (n - r) * delta. Guarantees, checked here: unit 0's chips
// talk only to each other, receive from before the group and send to the next group, over the links its own input
// came in by; every word unit k sends to k + 1 has arrived when its recv issues (delta below); delta is a multiple
// of the epoch and each copy deskews on its own phase (shift * delta mod the deskew period), so every shifted send
// keeps its distance to its chips' deskews, and the words crossing between phases clear their receivers'
// (stamp-phase.ts); every chip that talks deskews from cycle 0 to the last transfer of the whole program.

import { cycleOf, instructionAt, OPCODES, placedAt } from "../../arch/columns.ts";
import { ColumnsBuilder, columnQueue, columnsOf } from "../../arch/columns-build.ts";
import type { ChipProgram, InstColumns, LinkWire, Placed, Program, QueueProgram } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { type Sources, sourceImages } from "../emit/program.ts";
import type { TaskGraph } from "../passes/task-ir.ts";
import { deskewPeriodOf } from "./deskew.ts";
import { type Crossing, phasedDeskews, stampStep } from "./stamp-phase.ts";
import { linkLeaves } from "./timing.ts";

/** Where the reduced program's units are: unit 0 on chips `base .. base + width - 1`; with `reduced` 2 the last
 * (renamed unit 1 in the reduced model) on the next group; the suffix after them. */
export interface StampLayout {
  readonly name: string;
  /** Instances in the full model, in count / unit >= 3 units. */
  readonly count: number;
  /** Instances per unit: unit k is instances k * unit .. (k + 1) * unit - 1 on its own group of chips. */
  readonly unit: number;
  readonly base: number;
  readonly width: number;
  /** Units of the repeat in the reduced program (reduce-repeat.ts): unit 0 alone, or unit 0 and the last. */
  readonly reduced: 1 | 2;
}

export interface Stamped {
  readonly program: Program;
  /** Cycles between one unit's schedule and the next one's: `span` rounded up to a step `stampStep` allows. */
  readonly delta: number;
  /** The unit's span: the fewest cycles between one unit's schedule and the next one's, before rounding to a step
   * (the latest of unit 0's sends to the next group, as that group's recvs would meet them). */
  readonly span: number;
  /** Cycles the stamped program is longer than the reduced one: (count / unit - reduced) * delta. */
  readonly added: number;
  /** The reduced chip each chip of the stamped program copies, and by how many units it is shifted. */
  readonly templateOf: (chip: number) => { chip: number; shift: number };
}

/** The stamped program, or why the reduced program's unit 0 cannot be stamped. */
export function stampProgram(
  p: Program,
  g: TaskGraph,
  layout: StampLayout,
  m: Machine,
  sources: Sources | undefined,
  /** Copies of unit 0 as `copyOf` chips (arch/isa.ts) instead of every instruction written out. */
  compact = true,
): Stamped | { why: string } {
  const { name, base, width: u, unit: q, reduced } = layout;
  // Units (groups of chips): the reduced program has 1 or 2 (unit 0, the template, and maybe the last), the
  // stamped one n; the group after unit 0 is the reduced program's shifted by `tail` units.
  const n = layout.count / q;
  const tail = n - reduced;
  const region = (c: number) => (c < base ? -1 : Math.min(2, Math.floor((c - base) / u)));
  const wireOf = new Map<string, { chip: number; link: number }>();
  for (const w of p.wires) {
    wireOf.set(`${w.a}:${w.link}`, { chip: w.b, link: w.peerLink });
    wireOf.set(`${w.b}:${w.peerLink}`, { chip: w.a, link: w.link });
  }
  const queueOf = (chip: number, link: number) =>
    p.chips[chip]?.queues.find((q) => q.queue.kind === "c2c" && q.queue.index === link);
  /** A queue's instructions of one op, as objects made here (only c2c queues: a few each). */
  const ofOp = (q: QueueProgram | undefined, op: string): Placed[] => {
    if (!q) return [];
    const c = columnsOf(q);
    const out: Placed[] = [];
    for (let k = 0; k < c.count; k++) if (OPCODES[c.op[k]!] === op) out.push(placedAt(c, k));
    return out;
  };

  // delta: unit 0's sends to the next group as unit 0 shifted by delta would receive them, through the recvs unit 0
  // issued for its own input (from the ops before it, over the same gateway links into its group).
  let need = 0;
  for (let a = base; a < base + u; a++)
    for (const q of p.chips[a]?.queues ?? []) {
      if (q.queue.kind !== "c2c") continue;
      const sends = ofOp(q, "send");
      const recvs = ofOp(q, "recv");
      if (sends.length + recvs.length === 0) continue;
      const peer = wireOf.get(`${a}:${q.queue.index}`);
      if (!peer) return { why: `chip ${a} link ${q.queue.index} has no wire` };
      const r = region(peer.chip);
      // What unit 0 receives from before it, unit k receives from unit k - 1 over the same wire translated: the
      // chip of unit 0 at the sender's place one group on must send there as often (the check below is the other way).
      if (r === -1 && recvs.length > 0) {
        const from = peer.chip + u;
        if (region(from) !== 0 || ofOp(queueOf(from, peer.link), "send").length !== recvs.length)
          return {
            why: `chip ${a} of unit 0 receives on link ${q.queue.index} what no chip of unit 0 sends on`,
          };
      }
      if (r === 0 || (r === -1 && sends.length === 0)) continue;
      if (r !== 1 || recvs.length > 0)
        return {
          why: `chip ${a} of unit 0 talks to chip ${peer.chip} the wrong way or outside the next unit`,
        };
      const into = wireOf.get(`${peer.chip - u}:${peer.link}`);
      if (!into || region(into.chip) !== -1)
        return { why: `chip ${peer.chip - u} link ${peer.link} does not come from before unit 0` };
      const arrivals = ofOp(queueOf(peer.chip - u, peer.link), "recv");
      if (arrivals.length !== sends.length)
        return {
          why: `chip ${peer.chip - u} receives ${arrivals.length} runs of vectors on link ${peer.link}, chip ${a} sends ${sends.length}`,
        };
      for (let i = 0; i < sends.length; i++) {
        const [sd, rv] = [sends[i]!, arrivals[i]!];
        if (sd.inst.op !== "send" || rv.inst.op !== "recv") continue;
        // The same words in the same place: the send's tile and row (stages.ts names a move
        // `move.TENSOR.tT.rR.cA-cB`) are those the recv it meets writes.
        if (sd.inst.n !== rv.inst.n || sd.inst.type !== rv.inst.type || movedPart(sd) !== movedPart(rv))
          return { why: `chip ${a}'s send ${i} on link ${q.queue.index} is not the recv it would meet` };
        const b = ELEM_BYTES[sd.inst.type];
        let need0 = 0;
        for (let v = 0; v < sd.inst.n; v++) need0 = Math.max(need0, linkLeaves(m, (v + 1) * b - 1) - v);
        need = Math.max(need, sd.cycle! + need0 + m.c2c.latency - rv.cycle!);
      }
    }
  for (let c = base; c < base + u; c++)
    if ((p.chips[c]?.outputs.length ?? 0) > 0) return { why: `chip ${c} of unit 0 holds a model output` };
  // delta: a multiple of the epoch whose copies deskew on their own phase (stamp-phase.ts), so the words that cross
  // between groups of different shifts must clear their receivers' deskews; and the last word's cycle, which every
  // chip's deskews cover.
  const period = deskewPeriodOf(m);
  const crossings: Crossing[] = [];
  let lastBefore = 0;
  let lastShifted = 0;
  let phased = true;
  for (let a = 0; a < p.chips.length; a++) {
    const ra = region(a);
    for (const q of p.chips[a]?.queues ?? []) {
      const cols = columnsOf(q);
      if (cols.count > 1 && cols.op.includes(DESKEW)) phased = false;
      if (q.queue.kind !== "c2c") continue;
      const peer = wireOf.get(`${a}:${q.queue.index}`);
      const rb = peer ? region(peer.chip) : ra;
      // Units the sender's copy is shifted more than the receiver's (stamp's wires: unit k's to unit k + 1's).
      const units =
        ra === rb || (ra >= 1 && rb >= 1) ? 0 : ra === 0 ? -1 : ra === -1 ? (rb === 0 ? 0 : -tail) : tail;
      const leaves: number[] = [];
      for (const sd of ofOp(q, "send")) {
        if (sd.inst.op !== "send") continue;
        const words = sd.inst.n * ELEM_BYTES[sd.inst.type];
        if (ra === -1) lastBefore = Math.max(lastBefore, sd.cycle! + linkLeaves(m, words - 1));
        else lastShifted = Math.max(lastShifted, sd.cycle! + linkLeaves(m, words - 1));
        if (units !== 0) for (let j = 0; j < words; j++) leaves.push(sd.cycle! + linkLeaves(m, j));
      }
      if (leaves.length > 0) crossings.push({ leaves, units });
    }
  }
  const delta = stampStep(need, crossings, m, phased);
  const added = tail * delta;
  const lastLeave = Math.max(lastBefore, lastShifted + added);
  const deskewsOf = (shift: number) => phasedDeskews((shift * delta) % period, lastLeave, period);
  const chips = p.chips.length + tail * u;
  const templateOf = (f: number) => {
    if (f < base + u) return { chip: f, shift: 0 };
    if (f < base + (tail + 1) * u) {
      const k = Math.floor((f - base) / u);
      return { chip: f - k * u, shift: k };
    }
    return { chip: f - tail * u, shift: tail };
  };

  const renames = new Map<number, (s: string) => string>();
  const renameFor = (shift: number) => {
    let r = renames.get(shift);
    if (!r) {
      r = shiftNames(name, reduced * q, shift * q, shift * u);
      renames.set(shift, r);
    }
    return r;
  };
  const tensorById = new Map(g.tensors.map((t) => [t.id, t]));
  // Each chip's placements, for copies' SRAM images (none timing-only). Appended in place: a copy of the list per
  // placement was quadratic in a chip's placements.
  const placementsOf = new Map<number, NonNullable<TaskGraph["placements"]>[number][]>();
  if (sources)
    for (const pl of g.placements ?? []) {
      const list = placementsOf.get(pl.chip);
      if (list) list.push(pl);
      else placementsOf.set(pl.chip, [pl]);
    }
  const out: ChipProgram[] = [];
  /** The queues a copy of reduced chip `c` shifted by `shift` units lists itself: its deskew queue on its phase (or
   * none), unless a deskew shares a queue with other instructions (then the copy is written out). */
  const owned = new Map<string, QueueProgram[] | undefined>();
  const ownQueues = (c: number, shift: number) => {
    const key = `${c}:${(shift * delta) % period}`;
    if (!owned.has(key)) {
      const qs = p.chips[c]!.queues;
      const mixed = qs.some((q) => !isDeskewQueue(q) && columnsOf(q).op.includes(DESKEW));
      owned.set(
        key,
        mixed
          ? undefined
          : qs.filter(isDeskewQueue).map((q) => {
              const c0 = columnsOf(q);
              const given = c0.note[0]! >= 0 ? c0.notes[c0.note[0]!] : undefined;
              const b = new ColumnsBuilder(2);
              for (const d of deskewsOf(shift))
                b.add(d.inst, cycleOf(c0, 0)! + d.cycle, given, c0.spans?.get(0));
              return columnQueue(q.queue, b.finish());
            }),
      );
    }
    return owned.get(key);
  };
  for (let f = 0; f < chips; f++) {
    const t = templateOf(f);
    const src = p.chips[t.chip]!;
    const rename = renameFor(t.shift);
    const dt = t.shift * delta;
    const data =
      t.shift === 0
        ? src.data
        : sources
          ? sourceImages(placementsOf.get(t.chip) ?? [], tensorById, g.constants, sources, m.lanes, rename)
          : [];
    // A copy of unit 0 (chip t.chip of the stamped program too) is written compact (arch/copies.ts): it lists only
    // its deskew queue, which holds nothing else (deskew.ts), and names its original and shift.
    const own =
      compact && t.shift > 0 && t.chip >= base && t.chip < base + u ? ownQueues(t.chip, t.shift) : undefined;
    if (own) {
      out.push({ chip: f, copyOf: { chip: t.chip, shift: dt }, queues: own, data, outputs: src.outputs });
      continue;
    }
    const notes = new Map<string, string>();
    const queues: QueueProgram[] = src.queues.map((q) => {
      const c = columnsOf(q);
      if (t.shift === 0 && !c.op.includes(DESKEW)) return q;
      const b = new ColumnsBuilder(c.count);
      for (let k = 0; k < c.count; k++) {
        const inst = instructionAt(c, k);
        const cycle = cycleOf(c, k);
        const given = c.note[k]! >= 0 ? c.notes[c.note[k]!] : undefined;
        if (inst.op === "deskew") {
          // Every chip that talks deskews from cycle 0 up to the last window a word leaves in (deskew.ts), on its
          // copy's phase (stamp-phase.ts).
          for (const d of deskewsOf(t.shift)) b.add(d.inst, cycle! + d.cycle, given, c.spans?.get(k));
          continue;
        }
        if (t.shift === 0) {
          b.add(inst, cycle, given, c.spans?.get(k));
          continue;
        }
        let note = given === undefined ? undefined : notes.get(given);
        if (given !== undefined && note === undefined) {
          note = rename(given);
          notes.set(given, note);
        }
        b.add(inst, cycle! + dt, note);
      }
      return columnQueue(q.queue, b.finish());
    });
    out.push({ chip: f, queues, data, outputs: src.outputs });
  }
  const wires: LinkWire[] = [];
  for (const w of p.wires) {
    const shifts =
      region(w.a) === 0 ? Array.from({ length: tail + 1 }, (_, k) => k) : region(w.a) >= 1 ? [tail] : [0];
    for (const s of shifts) wires.push({ ...w, a: w.a + s * u, b: w.b + s * u });
  }
  wires.sort((x, y) => x.a - y.a || x.link - y.link);
  return { program: { ...p, chips: out, wires }, delta, span: need, added, templateOf };
}

/** The tile and row a move's instruction carries, from its note (stages.ts), or "" without one. */
function movedPart(x: Placed): string {
  return /\.(t\d+\.r\d+)\.c\d+-c\d+\.(?:send|recv)$/.exec(x.note ?? "")?.[1] ?? "";
}

const DESKEW = OPCODES.indexOf("deskew");

/** A queue holding one deskew and nothing else. */
function isDeskewQueue(q: QueueProgram): boolean {
  const c: InstColumns = columnsOf(q);
  return c.count === 1 && c.op[0] === DESKEW;
}

/** Names of a template chip's notes, SRAM labels and sources as its copy `shift` instances on: the reduced model's
 * instance indices of `name` (below `reduced`) + shift, chip numbers (`@pC` copies, `cA-cB` moves) + `chips`. The
 * last unit's sources keep their own indices (>= reduced, reduce-repeat.ts), which are already right. */
export function shiftNames(
  name: string,
  reduced: number,
  shift: number,
  chips: number,
): (s: string) => string {
  if (shift === 0) return (s) => s;
  const instance = new RegExp(`(^|[^\\w])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.`, "g");
  return (s) =>
    s
      .replace(instance, (_, pre: string, i: string) =>
        Number(i) < reduced ? `${pre}${name}.${Number(i) + shift}.` : `${pre}${name}.${i}.`,
      )
      .replace(/@p(\d+)/g, (_, c: string) => `@p${Number(c) + chips}`)
      .replace(
        /\.c(\d+)-c(\d+)(?=\.)/g,
        (_, a: string, b: string) => `.c${Number(a) + chips}-c${Number(b) + chips}`,
      );
}
