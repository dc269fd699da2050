// `deskew n=N, period=P` (one instruction) against N separate deskews at t, t + P, ..., t + (N-1) P: the same run,
// exactly (cycles, values, pause totals, hazards, link counts), for several drift seeds, on the exact engine and on
// the fast path; and the repeat's own rules (queue occupancy, static faults).
import { describe, expect, it } from "vitest";
import type { Instruction, Placed, Program } from "../../../arch/isa.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { program, s } from "./build.ts";
import { M } from "./kit.ts";

/** Two deskew periods of tsp-v1 (compiler/schedule/scheduler.ts deskewPeriodOf): 9 epochs of 256 cycles. */
const P = 2304;
const L = M.c2c.latency;
/** A 320-byte word serialises over 19.2 cycles: a word taken at W leaves at ceil(W + 19.2) = W + 20. */
const LEAVE = 20;

/**
 * Chip 0 sends one int8 word on link 0 every `every` cycles (`words` of them, starting at 500) and chip 1 takes
 * each in the very cycle it should arrive (a tight recv: any drift left over shows as recv-empty). Both chips
 * deskew on c2c15 at cycles kP, k < count: as one repeated instruction or as `count` separate ones.
 */
function ring(repeated: boolean, count: number, period: number, words: number, every: number): Program {
  const deskews: Placed[] = repeated
    ? [{ inst: { op: "deskew", n: count, period }, cycle: 0 }]
    : Array.from({ length: count }, (_, k) => ({ inst: { op: "deskew" } as Instruction, cycle: k * period }));
  const data = new Uint8Array(words * M.lanes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13 + 7) & 0xff;
  const send = (k: number) => 500 + k * every;
  const ks = Array.from({ length: words }, (_, k) => k);
  return program(
    [
      {
        queues: {
          // mem0 is position 3, link 0 position 2: a read at W - 3 is at the link in cycle W.
          mem0: ks.map((k) => ({
            inst: { op: "read", addr: k, stream: s("s0w"), n: 1, stride: 1 },
            cycle: send(k) - 3,
          })),
          c2c0: ks.map((k) => ({ inst: { op: "send", type: "int8", src: s("s0w"), n: 1 }, cycle: send(k) })),
          c2c15: deskews,
        },
        data: [{ slice: 0, addr: 0, bytes: data }],
      },
      {
        queues: {
          c2c0: ks.map((k) => ({
            inst: { op: "recv", type: "int8", dst: s("s0e"), n: 1 },
            cycle: send(k) + LEAVE + L,
          })),
          mem0: ks.map((k) => ({
            inst: { op: "write", addr: k, stream: s("s0e"), n: 1, stride: 1 },
            cycle: send(k) + LEAVE + L + 1,
          })),
          c2c15: deskews,
        },
        outputs: [{ name: "got", type: "uint8", slices: [0], addr: 0, words }],
      },
    ],
    [{ a: 0, link: 0, b: 1, peerLink: 0 }],
  );
}

/** What a run shows, except the instruction count and the deskews' own queue (which differ by construction). */
function observe(p: Program, seed: number, exact: boolean) {
  const sim = new Simulator(p, M, { seed, exact, functional: exact });
  sim.run();
  const r = sim.result();
  return {
    fast: sim.ranFast,
    hazards: r.hazards.map((h) => [h.name, h.chip, h.inst?.queue, h.inst?.k, h.where, h.cycle, h.args]),
    cycles: r.cycles,
    pause: r.pauseCycles,
    outputs: r.outputs,
    vectors: r.vectors,
    clocks: sim.chips.map((c) => [c.clock.pause, c.clock.globalTime(r.cycles), c.end, c.lastCycle]),
    links: sim.chips.map((c) => c.links.map((l) => [l.sent, l.received])),
    queues: sim.chips.map((c) =>
      c.queues.filter((q) => q.name !== "c2c15").map((q) => [q.name, q.busy, q.lastIssue, q.nextFree]),
    ),
  };
}

describe("deskew n=N, period=P", () => {
  const seeds = [1, 2, 3, 6, 7];
  const cases = [
    // Deskews every period up to the last word: hazard-free for every seed (the fast path runs it).
    { name: "every period", count: 10, period: P, words: 9, every: P },
    // Every fourth period only: the drift grows past half a cycle between deskews and some seeds meet recv-empty.
    { name: "every fourth period", count: 3, period: 4 * P, words: 9, every: P },
    // A period that is no whole number of epochs: every repetition pauses the chip by a different amount.
    { name: "a period of 1000 cycles", count: 21, period: 1000, words: 9, every: P },
  ];
  for (const c of cases)
    for (const exact of [true, false])
      it(`gives exactly the run of ${c.count} separate deskews (${c.name}, ${exact ? "exact engine" : "fast path"}, seeds ${seeds.join(", ")})`, () => {
        let hazardous = 0;
        for (const seed of seeds) {
          const one = observe(ring(true, c.count, c.period, c.words, c.every), seed, exact);
          const many = observe(ring(false, c.count, c.period, c.words, c.every), seed, exact);
          expect(one).toEqual(many);
          if (one.hazards.length > 0) hazardous++;
          else if (!exact) expect(one.fast).toBe(true);
          expect(one.pause).toBeGreaterThan(0);
        }
        // The case list says which runs meet hazards: the comparison covers both kinds.
        if (c.name === "every fourth period") expect(hazardous).toBeGreaterThan(0);
        if (c.name === "every period") expect(hazardous).toBe(0);
      });

  it("occupies its queue from the first repetition to the last: an instruction after it issues after the span", () => {
    const run = (next: Placed) => {
      const q = [{ inst: { op: "deskew", n: 3, period: 100 } as Instruction, cycle: 0 }, next];
      const sim = new Simulator(program([{ queues: { c2c15: q } }]), M, { exact: true });
      sim.run();
      return sim;
    };
    // Without a cycle: the cycle after the last repetition (200).
    const free = run({ inst: { op: "nop", cycles: 1 } });
    expect(free.hazards).toEqual([]);
    expect(free.result().cycles).toBe(202);
    // At a cycle inside the span: the queue is busy.
    const busy = run({ inst: { op: "nop", cycles: 1 }, cycle: 150 });
    expect(busy.hazards.map((x) => [x.name, x.inst?.k, x.cycle])).toEqual([["unit-busy", 1, 150]]);
    expect(String(busy.hazards[0]!.args[0])).toContain("until cycle 201");
  });

  it("is a static fault when n is not a whole number >= 1, the period is not, or a repeat has no period", () => {
    const bad: Instruction[] = [
      { op: "deskew", n: 0, period: 10 },
      { op: "deskew", n: 2.5, period: 10 },
      { op: "deskew", n: 3, period: 0 },
      { op: "deskew", n: 3 },
    ];
    for (const inst of bad) {
      const sim = new Simulator(program([{ queues: { c2c15: [{ inst, cycle: 0 }] } }]), M);
      sim.run();
      expect(sim.hazards.map((x) => x.name)).toEqual(["bad-instruction"]);
      expect(String(sim.hazards[0]!.args[0])).toMatch(/deskew (n|period|n=3 repeats)/);
    }
  });
});
