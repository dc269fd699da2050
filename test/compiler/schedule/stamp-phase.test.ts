// Stamped copies on their own deskew phase (compiler/schedule/stamp-phase.ts): a copy shifted by a multiple of the
// epoch E (not of the deskew period P) deskews at 0 and then at (shift mod P) + j P. The rule's premises in the
// simulator (two chips whose grids are offset by a multiple of E talk exactly, for every seed, as long as no word
// leaves within a cycle of the receiver's deskew; an offset that is not a multiple of E, or a word in the
// receiver's deskew cycle, is not exact), the step's search, and a stamped program whose step is not a multiple of
// P run exactly for several seeds with the interpreter's values, every word clear of its chips' deskews.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expandCopies } from "../../../arch/copies.ts";
import type { Instruction, Placed, Program } from "../../../arch/isa.ts";
import { ELEM_BYTES } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { deskewPeriodOf } from "../../../compiler/schedule/deskew.ts";
import { phasedDeskews, stampStep } from "../../../compiler/schedule/stamp-phase.ts";
import { linkLeaves } from "../../../compiler/schedule/timing.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { program, s } from "../../simulator/lpu/build.ts";
import { expectExactRun } from "../../support/exact.ts";

const M = TSP_V1;
const P = deskewPeriodOf(M);
const E = M.c2c.epochCycles;
const L = M.c2c.latency;
/** A 320-byte word serialises over 19.2 cycles: a word taken at W leaves at W + 20. */
const LEAVE = 20;

/** The deskew queue of a chip on phase `phase` covering words up to cycle `last` (phasedDeskews). */
function deskews(phase: number, last: number): Placed[] {
  return phasedDeskews(phase, last, P).map((d) => ({ inst: d.inst, cycle: d.cycle }));
}

/**
 * Chip 0 sends one int8 word on link 0 leaving in each cycle of `leaves`; chip 1 takes each in the very cycle it
 * should arrive (F + L: a tight recv, so a word converted one cycle late is recv-empty). Chip 0 deskews on phase
 * `sender`, chip 1 on phase `receiver`, both up to the last word.
 */
function pair(sender: number, receiver: number, leaves: readonly number[]): Program {
  const last = leaves[leaves.length - 1]!;
  const data = new Uint8Array(leaves.length * M.lanes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13 + 7) & 0xff;
  const ks = leaves.map((_, k) => k);
  const send = (k: number) => leaves[k]! - LEAVE;
  return program(
    [
      {
        queues: {
          // mem0 is position 3, link 0 position 2: a read at W - 3 is at the link in cycle W.
          mem0: ks.map((k) => ({
            inst: { op: "read", addr: k, stream: s("s0w"), n: 1, stride: 1 } as Instruction,
            cycle: send(k) - 3,
          })),
          c2c0: ks.map((k) => ({
            inst: { op: "send", type: "int8", src: s("s0w"), n: 1 } as Instruction,
            cycle: send(k),
          })),
          c2c15: deskews(sender, last),
        },
        data: [{ slice: 0, addr: 0, bytes: data }],
      },
      {
        queues: {
          c2c0: ks.map((k) => ({
            inst: { op: "recv", type: "int8", dst: s("s0e"), n: 1 } as Instruction,
            cycle: leaves[k]! + L,
          })),
          mem0: ks.map((k) => ({
            inst: { op: "write", addr: k, stream: s("s0e"), n: 1, stride: 1 } as Instruction,
            cycle: leaves[k]! + L + 1,
          })),
          c2c15: deskews(receiver, last),
        },
        outputs: [{ name: "got", type: "uint8", slices: [0], addr: 0, words: leaves.length }],
      },
    ],
    [{ a: 0, link: 0, b: 1, peerLink: 0 }],
  );
}

const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7];

/** Per seed: exact (no hazard, every word taken as sent: the output's checksum is that of the two chips on one
 * grid, docs/compiler.md "Later deskews") or not, on the exact engine and on the fast path. */
function exactBySeed(p: Program, leaves: readonly number[]): boolean[] {
  const run = (q: Program, seed: number, exact: boolean) => {
    const sim = new Simulator(q, M, { seed, exact, functional: true });
    sim.run();
    return sim.result();
  };
  const want = run(pair(0, 0, steadyLeaves([0]).slice(0, leaves.length)), 0, true);
  expect(want.hazards).toEqual([]);
  return SEEDS.map((seed) => {
    const runs = [true, false].map((exact) => {
      const r = run(p, seed, exact);
      return r.hazards.length === 0 && r.outputs[0]!.checksum === want.outputs[0]!.checksum;
    });
    // The two engines agree on every run.
    expect(runs[1]).toBe(runs[0]);
    return runs[0]!;
  });
}

/** Every 997 cycles over 20 periods, leaving out words within a cycle of either chip's deskews. */
function steadyLeaves(phases: readonly number[]): number[] {
  const near = (f: number) =>
    phases.some((ph) => {
      const r = (((f - ph) % P) + P) % P;
      return r <= 1 || r >= P - 1;
    });
  const out: number[] = [];
  for (let f = 500; f < 20 * P; f += 997) if (!near(f)) out.push(f);
  return out;
}

describe("copies on their own deskew phase", () => {
  it("two chips whose deskew grids are offset by a multiple of the epoch talk exactly both ways, for every seed", () => {
    const leaves = steadyLeaves([0, 3 * E]);
    expect(leaves.length).toBeGreaterThan(40);
    expect(exactBySeed(pair(0, 3 * E, leaves), leaves)).toEqual(SEEDS.map(() => true));
    expect(exactBySeed(pair(3 * E, 0, leaves), leaves)).toEqual(SEEDS.map(() => true));
  });

  it("an offset that is no multiple of the epoch pauses the chip to a later boundary: its words arrive late for every seed", () => {
    const leaves = steadyLeaves([0, 700]);
    expect(exactBySeed(pair(700, 0, leaves), leaves)).toEqual(SEEDS.map(() => false));
  });

  it("a word leaving in the receiver's deskew cycle arrives at a seed-dependent cycle; in the sender's only, exactly", () => {
    const phase = 3 * E;
    // One word leaves in the receiver's deskew cycle 3E + 5P: converted before or after its pause by the drifts.
    const atReceiver = [500, phase + 5 * P, phase + 5 * P + 400];
    const receivers = exactBySeed(pair(0, phase, atReceiver), atReceiver);
    expect(receivers).toContain(true);
    expect(receivers).toContain(false);
    // In the sender's deskew cycle 5P (clear of the receiver's): the sender's time is within its drift either side.
    const atSender = [500, 5 * P, 5 * P + 400];
    expect(exactBySeed(pair(0, phase, atSender), atSender)).toEqual(SEEDS.map(() => true));
  });

  it("deskews at 0, then at the phase and every period after it up to the last word's cycle", () => {
    expect(deskews(0, 3 * P + 5)).toEqual([{ inst: { op: "deskew", n: 4, period: P }, cycle: 0 }]);
    expect(deskews(2 * E, 3 * P + 5)).toEqual([
      { inst: { op: "deskew" }, cycle: 0 },
      { inst: { op: "deskew", n: 3, period: P }, cycle: 2 * E },
    ]);
    // A word before the phase: the deskew at 0 covers it.
    expect(deskews(2 * E, 100)).toEqual([{ inst: { op: "deskew" }, cycle: 0 }]);
  });

  it("the step is the smallest multiple of the epoch at or above the need whose crossing words clear their receivers' deskews", () => {
    // No crossing word: the need rounded up to the epoch.
    expect(stampStep(1000, [], M, true)).toBe(4 * E);
    // A word unit k sends to unit k + 1 leaving 4E + P after unit 0's start (4E mod P) is in unit k + 1's deskew cycle at a step
    // of 4E (the receiver's phase is one step later): the next multiple.
    expect(stampStep(1000, [{ leaves: [4 * E + P], units: -1 }], M, true)).toBe(5 * E);
    expect(stampStep(1000, [{ leaves: [4 * E + 1], units: -1 }], M, true)).toBe(5 * E);
    expect(stampStep(1000, [{ leaves: [4 * E + 2], units: -1 }], M, true)).toBe(4 * E);
    // Every multiple of E short of P refused: a whole period, where every word keeps its phase.
    const all = Array.from({ length: P / E }, (_, k) => k * E);
    expect(stampStep(1000, [{ leaves: all, units: -1 }], M, true)).toBe(P);
    // A deskew that shares its queue: copies cannot be re-phased, a whole period.
    expect(stampStep(1000, [], M, false)).toBe(P);
  });
});

describe("a stamped program whose step is no multiple of the deskew period", () => {
  const TINY = "programs/tiny-gpt.model";
  const graph = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: "4" }).graph!;
  const sources = initialSources(graph, 0);
  const r = compile(graph, M, { chips: 64, file: TINY, partition: "layers", sources });
  const p = r.program!;
  const step = p.chips.find((c) => c.copyOf)!.copyOf!.shift;

  it("runs with no hazard in exactly the predicted cycles and the interpreter's values, for several seeds", () => {
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(step % E).toBe(0);
    expect(step % P).not.toBe(0);
    for (const clockSeed of [1, 6])
      expectExactRun(runModel(graph, p, r.report!, M, { functional: true, seed: 0, clockSeed }));
    for (const clockSeed of [2, 3, 7]) {
      const run = runModel(graph, p, r.report!, M, { functional: false, seed: 0, clockSeed });
      expect(run.hazards).toEqual([]);
      expect(run.cycles).toBe(r.report!.cycles);
    }
  });

  it("every word leaves clear of its sender's and its receiver's deskews, less than a period after each one's latest", () => {
    const full = expandCopies(p);
    const grid = new Map<number, number[]>();
    for (const c of full.chips)
      for (const q of c.queues)
        for (const x of q.instructions)
          if (x.inst.op === "deskew")
            for (let i = 0; i < (x.inst.n ?? 1); i++)
              grid.set(c.chip, [...(grid.get(c.chip) ?? []), x.cycle! + i * (x.inst.period ?? 0)]);
    const peer = new Map<string, number>();
    for (const w of full.wires) {
      peer.set(`${w.a}:${w.link}`, w.b);
      peer.set(`${w.b}:${w.peerLink}`, w.a);
    }
    // Copies on phases other than 0: the rule is exercised.
    // (a chip's phase is its second deskew's cycle mod P; chips with fewer than two deskews have none to show)
    const phases = new Set(
      full.chips.flatMap((c) => {
        const g = grid.get(c.chip) ?? [];
        return g.length > 1 ? [g[1]! % P] : [];
      }),
    );
    expect(phases.size).toBeGreaterThan(1);
    let words = 0;
    for (const c of full.chips)
      for (const q of c.queues) {
        if (q.queue.kind !== "c2c") continue;
        for (const x of q.instructions) {
          if (x.inst.op !== "send") continue;
          for (let j = 0; j < x.inst.n * ELEM_BYTES[x.inst.type]; j++) {
            const f = x.cycle! + linkLeaves(M, j);
            for (const chip of [c.chip, peer.get(`${c.chip}:${q.queue.index}`)!]) {
              const ds = grid.get(chip)!;
              expect(ds.some((d) => Math.abs(f - d) <= 1)).toBe(false);
              expect(Math.max(...ds.filter((d) => d < f))).toBeGreaterThan(f - P);
            }
            words++;
          }
        }
      }
    expect(words).toBeGreaterThan(40);
  });
});
