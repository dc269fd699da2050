// The run-length fast path (simulator/lpu/fast/) against the exact per-vector engine (`exact: true`): on hazard-free
// programs it must run and leave the same results and state; on any program with a hazard it must fall back, so the
// report is the exact engine's; on programs with randomly jittered issue cycles (some with hazards, some without)
// the two must agree on everything either way.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../arch/asm/index.ts";
import { resolveMachine } from "../../../arch/derive.ts";
import type { Placed, Program, QueueProgram } from "../../../arch/isa.ts";
import type { Machine } from "../../../arch/machine.ts";
import { type SimOptions, Simulator } from "../../../simulator/lpu/index.ts";
import { prepare } from "../../../simulator/lpu/prepare.ts";
import { Rng } from "../../../util/random.ts";
import { M } from "./kit.ts";

/** Everything a caller can see after run(): hazards (in the order found), results, the state, each queue. */
function observe(
  p: Program,
  opts: SimOptions,
  m: Machine = M,
): { fast: boolean; seen: string; hazards: number } {
  const sim = new Simulator(p, m, opts);
  sim.run();
  const hazards = sim.hazards.map((h) => [h.name, h.chip, h.inst?.id, h.where, h.cycle, h.args, h.hint]);
  const queues = sim.chips.map((c) =>
    c.queues.map((q) => [
      q.name,
      q.next,
      q.busy,
      [...q.resources].map(([k, o]) => [k, o.from, o.until, o.by.id]),
    ]),
  );
  const seen = JSON.stringify(
    { hazards, result: { ...sim.result(), hazards: undefined }, state: sim.state(), queues, done: sim.done },
    (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v === Number.POSITIVE_INFINITY ? "inf" : v),
  );
  return { fast: sim.ranFast, seen, hazards: sim.hazards.length };
}

function both(p: Program, seed: number, m: Machine = M): { fast: boolean; same: boolean; hazards: number } {
  const a = observe(p, { functional: false, seed }, m);
  const b = observe(p, { functional: false, seed, exact: true }, m);
  return { fast: a.fast, same: a.seen === b.seen, hazards: b.hazards };
}

/** The programs of a folder with their machines (the preset plus a first line's `; arch-set: k=v`). */
function asm(dir: string): [string, Program, Machine][] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".lasm"))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), "utf8");
      const p = parseAsm(text, f).program!;
      const header = /^; arch-set: (\S+)=(\S+)/.exec(text);
      return [f, p, resolveMachine(p.arch, header ? { [header[1]!]: header[2]! } : {})];
    });
}

const memPos = (i: number) => (i < 44 ? 3 + i : 48 + (i - 44));

/** `chips` chips in a ring: each deskews, streams a 4-lane MEM -> VXM -> MEM pipeline of n-vector instructions,
 * and sends a word to its neighbour every 24 cycles, received 10 cycles after the earliest arrival. */
function ring(chips: number, k: number, n: number): Program {
  const L = M.mem.readLatency;
  const out: Program["chips"][number][] = [];
  for (let c = 0; c < chips; c++) {
    const queues: QueueProgram[] = [];
    for (let i = 0; i < 4; i++) {
      const rd: Placed[] = [];
      const wr: Placed[] = [];
      const cp: Placed[] = [];
      for (let j = 0; j < k; j++) {
        const first = j === 0;
        const stream = { id: i, dir: "e" as const };
        rd.push({
          inst: { op: "read", addr: 4000 + j * n, stream, n, stride: 1 },
          ...(first ? { cycle: 2 } : {}),
        });
        const w = 2 + L + memPos(44 + i) - memPos(i);
        wr.push({ inst: { op: "write", addr: j * n, stream, n, stride: 1 }, ...(first ? { cycle: w } : {}) });
        const v = {
          op: "vunary",
          fn: "copy",
          type: "int8",
          dst: { id: i, dir: "w" },
          src: stream,
          n,
        } as const;
        cp.push({ inst: v, ...(first ? { cycle: 2 + L + 47 - memPos(i) } : {}) });
      }
      queues.push(
        { queue: { kind: "mem", index: i }, instructions: rd },
        { queue: { kind: "mem", index: 44 + i }, instructions: wr },
        { queue: { kind: "vxm", index: i }, instructions: cp },
      );
    }
    const feed: Placed[] = [];
    const send: Placed[] = [{ inst: { op: "deskew" }, cycle: 0 }];
    const recv: Placed[] = [];
    for (let j = 0; j < 3; j++) {
      const s = 42 + 24 * j;
      const w31 = { id: 31, dir: "w" as const };
      feed.push({
        inst: { op: "read", addr: j, stream: w31, n: 1, stride: 1 },
        cycle: s - L - (memPos(20) - 2),
      });
      send.push({ inst: { op: "send", type: "int8", src: w31, n: 1 }, cycle: s });
      recv.push({
        inst: { op: "recv", type: "int8", dst: { id: 31, dir: "e" }, n: 1 },
        cycle: s + 20 + 216 + 10,
      });
    }
    queues.push(
      { queue: { kind: "mem", index: 20 }, instructions: feed },
      { queue: { kind: "c2c", index: 0 }, instructions: send },
      { queue: { kind: "c2c", index: 1 }, instructions: recv },
    );
    out.push({ chip: c, queues, data: [], outputs: [] });
  }
  const wires = out.map((_, c) => ({ a: c, link: 0, b: (c + 1) % chips, peerLink: 1 }));
  return { arch: M.name, chips: out, wires, maps: {} };
}

/** Moves some explicit issue cycles by -3..+3 and changes some vector counts by -2..+2. */
function jitter(p: Program, rng: Rng): Program {
  const odds = rng.next() * 0.1;
  const chips = p.chips.map((c) => ({
    ...c,
    queues: c.queues.map((q) => ({
      ...q,
      instructions: q.instructions.map((pl): Placed => {
        if (rng.next() >= odds) return pl;
        if (pl.cycle !== undefined && rng.next() < 0.7)
          return { ...pl, cycle: Math.max(0, pl.cycle + Math.floor(rng.next() * 7) - 3) };
        if (pl.inst.op !== "deskew" && "n" in pl.inst && pl.inst.n > 2)
          return { ...pl, inst: { ...pl.inst, n: pl.inst.n + Math.floor(rng.next() * 5) - 2 } };
        return pl;
      }),
    })),
  }));
  return { ...p, chips };
}

describe("the run-length fast path", () => {
  const clean = asm("programs/asm").concat(
    asm("programs/asm/tutorial").filter(([f]) => f === "shared-stream.lasm"),
  );

  it("runs every hazard-free teaching program and leaves the exact engine's results and state", () => {
    for (const [name, p, m] of clean) {
      for (const seed of [1, 2]) {
        const r = both(p, seed, m);
        expect({ name, seed, ...r }).toEqual({ name, seed, fast: true, same: true, hazards: 0 });
      }
    }
  });

  it("leaves nothing of one run in the next: the words a run wrote are its own (its buffers are kept for the next)", () => {
    // A run that writes many words, then runs that write fewer on the same slices (no data section, so no map of
    // used words to start from): a run that saw the earlier run's used-word map would report more SRAM written than
    // the exact engine on a fresh simulator.
    observe(ring(2, 40, 24), { functional: false, seed: 1 });
    for (const p of [ring(1, 3, 24), ring(2, 12, 8)]) {
      const after = observe(p, { functional: false, seed: 1 });
      const fresh = observe(p, { functional: false, seed: 1, exact: true });
      expect({ fast: after.fast, same: after.seen === fresh.seen }).toEqual({ fast: true, same: true });
    }
  });

  it("runs a multi-chip ring of n-vector instructions (deskew, links) exactly as the events do, for any clock seed", () => {
    const p = ring(3, 12, 24);
    for (const seed of [1, 2, 3, 4]) expect(both(p, seed)).toEqual({ fast: true, same: true, hazards: 0 });
  });

  it("falls back to the exact engine on every broken program, so the hazard report is the exact one", () => {
    for (const [name, p, m] of asm("programs/asm/hazards")) {
      const r = both(p, 1, m);
      expect({ name, fast: r.fast, same: r.same, found: r.hazards > 0 }).toEqual({
        name,
        fast: false,
        same: true,
        found: true,
      });
    }
  });

  it("runs an abc into rows no pending acc drains while another acc drains, and declines one into a draining row", () => {
    // matvec-320.lasm with three vectors into rows 0-2, drained at 80-82, and a fourth taken at 81 into row `row`:
    // row 3 is no drain's, so the fast path runs it (the scheduler's accumulator row slots do this); row 2 drains at
    // 82, after that take, so the drain sees the new result's time (acc-not-ready): left to the exact engine.
    const program = (row: number) => {
      let text = readFileSync("programs/asm/matvec-320.lasm", "utf8")
        .replace(".data x int8 mem8 0 seed 8", ".data x int8 mem8 0 words=4 seed 8")
        .replace(
          ".output y int32 mem9,mem10,mem11,mem12 0",
          ".output y int32 mem9,mem10,mem11,mem12 0 words=4",
        )
        .replace("@47 read 0, s8w ", "@47 read 0, s8w, n=3\n  @68 read 3, s8w ")
        .replace("@60 abc.int8 s8w ", "@60 abc.int8 s8w, n=3 ")
        .replace(
          "@80 acc.int32 s0e ",
          `@80 acc.int32 s0e, n=3\n  @81 abc.int8 s8w, n=1, row0=${row}\n  @101 acc.int32 s0e, n=1, row0=3`,
        );
      for (const [b, plane] of [9, 10, 11, 12].entries()) {
        const write = `.queue mem${plane}\n  @${92 + b} write 0, s${b}e`;
        expect(text).toContain(write);
        text = text.replace(write, `${write}, n=3\n  @${113 + b} write 3, s${b}e`);
      }
      const r = parseAsm(text, "acc-rows.lasm");
      expect(r.diagnostics).toEqual([]);
      return r.program!;
    };
    expect(both(program(3), 1)).toEqual({ fast: true, same: true, hazards: 0 });
    const clash = both(program(2), 1);
    expect({ fast: clash.fast, same: clash.same, found: clash.hazards > 0 }).toEqual({
      fast: false,
      same: true,
      found: true,
    });
  });

  it("agrees with the exact engine on programs with jittered cycles and vector counts, hazards or not", () => {
    const rng = new Rng(2024);
    const bases = [...clean.map(([, p]) => p), ring(2, 6, 16)];
    let fast = 0;
    for (let j = 0; j < 80; j++) {
      const p = jitter(bases[j % bases.length]!, rng);
      const r = both(p, 1 + (j % 3));
      // Never fast when the exact engine finds a hazard.
      expect({ j, same: r.same, fastWithHazards: r.fast && r.hazards > 0 }).toEqual({
        j,
        same: true,
        fastWithHazards: false,
      });
      if (r.fast) fast++;
    }
    // Both kinds occurred: some variants stayed hazard-free (fast), some met a hazard (fallback).
    expect(fast).toBeGreaterThan(0);
    expect(fast).toBeLessThan(80);
  });

  it("encodes long queues a block at a time, also across a sync, and leaves the exact engine's state", () => {
    // 1,300 instructions a queue: blocks of 64, 128, ... 1,024; mem31 and mem32 park on a token mem30 notifies
    // after 1,200 nops, so their blocks are encoded again when they resume.
    const base = ring(1, 1300, 1);
    const nops = (k: number): Placed[] =>
      Array.from({ length: k }, () => ({ inst: { op: "nop", cycles: 1 } }));
    const token = (op: "sync" | "notify"): Placed => ({ inst: { op, token: "go" } });
    const queues: QueueProgram[] = [
      ...base.chips[0]!.queues,
      { queue: { kind: "mem", index: 30 }, instructions: [...nops(1200), token("notify"), ...nops(1200)] },
      { queue: { kind: "mem", index: 31 }, instructions: [...nops(100), token("sync"), ...nops(1200)] },
      { queue: { kind: "mem", index: 32 }, instructions: [token("sync"), ...nops(50)] },
    ];
    const p: Program = { ...base, chips: [{ ...base.chips[0]!, queues }] };
    for (const seed of [1, 2]) expect(both(p, seed)).toEqual({ fast: true, same: true, hazards: 0 });
  });

  it("reports a static fault deep in a long program as construction would, and a fractional address exactly", () => {
    // The instructions' own checks run when the fast path encodes them (or on first use): the faults, their order
    // and the empty run must be what checking everything at construction gave.
    const bad = ring(2, 1300, 1);
    const q = bad.chips[1]!.queues[0]!;
    const list = q.instructions as Placed[];
    list[1200] = { inst: { op: "read", addr: 0, stream: { id: 40, dir: "e" }, n: 1, stride: 1 } };
    list[1250] = {
      inst: {
        op: "vunary",
        fn: "copy",
        type: "int8",
        dst: { id: 0, dir: "w" },
        src: { id: 0, dir: "e" },
        n: 1,
      },
    };
    const full = prepare(bad, M).faults.map((h) => [h.name, h.chip, h.inst?.id, h.args]);
    expect(full.map((f) => f[0])).toEqual(["address-range", "bad-instruction"]);
    const sim = new Simulator(bad, M, { functional: false });
    expect(sim.hazards.map((h) => [h.name, h.chip, h.inst?.id, h.args])).toEqual(full);
    sim.run();
    expect({ chips: sim.chips.length, instructions: sim.result().instructions }).toEqual({
      chips: 0,
      instructions: 0,
    });
    expect(both(bad, 1)).toEqual({ fast: false, same: true, hazards: 2 });

    // An address of 2.5 does not fit the fast path's 32-bit columns: it declines, and the exact engine reports it.
    const frac = ring(1, 200, 1);
    const reads = frac.chips[0]!.queues[0]!.instructions as Placed[];
    const read = reads[150]!;
    reads[150] = { ...read, inst: { ...read.inst, addr: 2.5 } as Placed["inst"] };
    const r = both(frac, 1);
    expect(r.fast).toBe(false);
    expect(r.same).toBe(true);
    expect(r.hazards).toBeGreaterThan(0);
  });
});
