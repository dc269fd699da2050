// Stamping a repeated block (docs/compiler.md "Stamping repeated layers"): the program of the reduced model
// (reduce-repeat.ts: units 0, 1 and the last of a `repeat`, placed by `--partition layers`; a unit is one instance
// or a few on whole nodes) -> the program of all n units. Unit k (2 <= k <= n - 2) is unit 1's chips translated by
// (k - 1) * width chips with every issue cycle shifted by (k - 1) * delta; the last unit and the ops after it are the
// reduced program's translated by (n - 3) * width and shifted by (n - 3) * delta. Guarantees, checked here: unit 1's
// chips talk only to each other and to the units on either side, over the same links; every word unit k sends to
// k + 1 has arrived when its recv issues (delta below); delta is a multiple of the deskew period, so every shifted
// send keeps its distance to the deskews; every chip that talks deskews from cycle 0 to the last transfer.
import type { ChipProgram, LinkWire, Placed, Program, QueueProgram } from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { type Sources, sourceImages } from "../emit/program.ts";
import type { TaskGraph } from "../passes/task-ir.ts";
import { deskewPeriodOf } from "./scheduler.ts";
import { linkLeaves } from "./timing.ts";

/** Where the reduced program's instances are: `name.0` on chips `base .. base + width - 1`, `name.1` and the last
 * (renamed `name.2` in the reduced model) on the next groups, the suffix after them. */
export interface StampLayout {
  readonly name: string;
  /** Instances in the full model, in count / unit >= 4 units. */
  readonly count: number;
  /** Instances per unit: unit k is instances k * unit .. (k + 1) * unit - 1 on its own group of chips. */
  readonly unit: number;
  readonly base: number;
  readonly width: number;
}

export interface Stamped {
  readonly program: Program;
  /** Cycles between one instance's schedule and the next one's. */
  readonly delta: number;
  /** Cycles the stamped program is longer than the reduced one: (count - 3) * delta. */
  readonly added: number;
  /** The reduced chip each chip of the stamped program copies, and by how many instances it is shifted. */
  readonly templateOf: (chip: number) => { chip: number; shift: number };
}

/** The stamped program, or why the reduced program's instance 1 is not a steady state that can be stamped. */
export function stampProgram(
  p: Program,
  g: TaskGraph,
  layout: StampLayout,
  m: Machine,
  sources: Sources | undefined,
): Stamped | { why: string } {
  const { name, base, width: u, unit: q } = layout;
  // Units (groups of chips): the reduced program has 3, the stamped one n.
  const n = layout.count / q;
  const region = (c: number) => (c < base ? -1 : Math.min(3, Math.floor((c - base) / u)));
  const wireOf = new Map<string, { chip: number; link: number }>();
  for (const w of p.wires) {
    wireOf.set(`${w.a}:${w.link}`, { chip: w.b, link: w.peerLink });
    wireOf.set(`${w.b}:${w.peerLink}`, { chip: w.a, link: w.link });
  }
  const queueOf = (chip: number, link: number) =>
    p.chips[chip]?.queues.find((q) => q.queue.kind === "c2c" && q.queue.index === link)?.instructions ?? [];
  const ofOp = (q: readonly Placed[], op: string) => q.filter((x) => x.inst.op === op);

  // delta: instance 1's sends to instance 2 as instance 2 would receive them if it were instance 1 shifted by delta.
  let need = 0;
  for (let a = base + u; a < base + 2 * u; a++)
    for (const q of p.chips[a]?.queues ?? []) {
      if (q.queue.kind !== "c2c") continue;
      const sends = ofOp(q.instructions, "send");
      const recvs = ofOp(q.instructions, "recv");
      if (sends.length + recvs.length === 0) continue;
      const peer = wireOf.get(`${a}:${q.queue.index}`);
      if (!peer) return { why: `chip ${a} link ${q.queue.index} has no wire` };
      const r = region(peer.chip);
      if (r === 1) continue;
      if (r === 0 && sends.length === 0) continue;
      if (r !== 2 || recvs.length > 0)
        return {
          why: `chip ${a} of ${name}.1 talks to chip ${peer.chip}, which is not in the next instance`,
        };
      const before = wireOf.get(`${a - u}:${q.queue.index}`);
      if (before?.chip !== peer.chip - u || before.link !== peer.link)
        return { why: `chip ${a - u} link ${q.queue.index} is not wired as chip ${a} is` };
      const arrivals = ofOp(queueOf(peer.chip - u, peer.link), "recv");
      if (arrivals.length !== sends.length)
        return {
          why: `chip ${peer.chip - u} receives ${arrivals.length} vectors runs, chip ${a} sends ${sends.length}`,
        };
      sends.forEach((s, i) => {
        const rv = arrivals[i]!;
        if (s.inst.op !== "send" || rv.inst.op !== "recv") return;
        const b = ELEM_BYTES[s.inst.type];
        let need0 = 0;
        for (let v = 0; v < s.inst.n; v++) need0 = Math.max(need0, linkLeaves(m, (v + 1) * b - 1) - v);
        need = Math.max(need, s.cycle! + need0 + m.c2c.latency - rv.cycle!);
      });
    }
  for (let c = base + u; c < base + 2 * u; c++)
    if ((p.chips[c]?.outputs.length ?? 0) > 0) return { why: `chip ${c} of unit 1 holds a model output` };
  const period = deskewPeriodOf(m);
  const delta = Math.max(1, Math.ceil(need / period)) * period;
  const added = (n - 3) * delta;
  const chips = p.chips.length + (n - 3) * u;
  const templateOf = (f: number) => {
    if (f < base + 2 * u) return { chip: f, shift: 0 };
    if (f < base + (n - 1) * u) {
      const k = Math.floor((f - base) / u);
      return { chip: f - (k - 1) * u, shift: k - 1 };
    }
    return { chip: f - (n - 3) * u, shift: n - 3 };
  };

  const renames = new Map<number, (s: string) => string>();
  const renameFor = (shift: number) => {
    let r = renames.get(shift);
    if (!r) {
      r = shiftNames(name, 3 * q, shift * q, shift * u);
      renames.set(shift, r);
    }
    return r;
  };
  const tensorById = new Map(g.tensors.map((t) => [t.id, t]));
  const placementsOf = new Map<number, NonNullable<TaskGraph["placements"]>[number][]>();
  for (const pl of g.placements ?? []) placementsOf.set(pl.chip, [...(placementsOf.get(pl.chip) ?? []), pl]);
  const out: ChipProgram[] = [];
  for (let f = 0; f < chips; f++) {
    const t = templateOf(f);
    const src = p.chips[t.chip]!;
    const rename = renameFor(t.shift);
    const dt = t.shift * delta;
    const notes = new Map<string, string>();
    const queues: QueueProgram[] = src.queues.map((q) => ({
      queue: q.queue,
      instructions: q.instructions.map((x) => {
        if (x.inst.op === "deskew") {
          // Every chip that talks deskews from cycle 0 up to the last window a word leaves in (scheduler.ts).
          const reps = (x.inst.n ?? 1) + added / period;
          return { ...x, inst: { op: "deskew", n: reps, period } };
        }
        if (t.shift === 0) return x;
        let note = x.note === undefined ? undefined : notes.get(x.note);
        if (x.note !== undefined && note === undefined) {
          note = rename(x.note);
          notes.set(x.note, note);
        }
        return { inst: x.inst, cycle: x.cycle! + dt, note };
      }),
    }));
    const data =
      t.shift === 0
        ? src.data
        : sources
          ? sourceImages(placementsOf.get(t.chip) ?? [], tensorById, g.constants, sources, m.lanes, rename)
          : [];
    out.push({ chip: f, queues, data, outputs: src.outputs });
  }
  const wires: LinkWire[] = [];
  for (const w of p.wires) {
    const shifts =
      region(w.a) === 1 ? Array.from({ length: n - 2 }, (_, k) => k) : region(w.a) >= 2 ? [n - 3] : [0];
    for (const s of shifts) wires.push({ ...w, a: w.a + s * u, b: w.b + s * u });
  }
  wires.sort((x, y) => x.a - y.a || x.link - y.link);
  return { program: { ...p, chips: out, wires }, delta, added, templateOf };
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
