// One test per timing rule of docs/isa.md, driven through the step API on the tsp-v1 preset.
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../../arch/derive.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { s } from "./build.ts";
import { ChipBuilder, hazardNames, M, pos, wordAt } from "./kit.ts";

const RL = M.mem.readLatency;
/** Unit instructions start here so that feeding reads (issued up to ~70 cycles earlier) have room. */
const T = 100;

describe("LPU timing rules", () => {
  it("a MEM read's first word is on the stream at its slice readLatency cycles after issue", () => {
    const b = new ChipBuilder();
    b.data.push({ slice: 10, addr: 5, bytes: new Uint8Array(M.lanes).fill(42) });
    b.add("mem10", { op: "read", addr: 5, stream: s("s3e"), n: 1, stride: 1 }, 7);
    const sim = new Simulator(b.program(), M);
    expect(wordAt(sim, "uint8", "s3e", pos("mem10"), 7 + RL - 1)).toBeUndefined();
    expect(wordAt(sim, "uint8", "s3e", pos("mem10"), 7 + RL)?.[0]).toBe(42);
  });

  it("a stream value moves one slice per cycle, east and west", () => {
    const b = new ChipBuilder();
    b.data.push({ slice: 20, addr: 0, bytes: new Uint8Array(M.lanes).fill(1) });
    b.add("mem20", { op: "read", addr: 0, stream: s("s0e"), n: 1, stride: 1 }, 0);
    b.add("mem20", { op: "read", addr: 0, stream: s("s0w"), n: 1, stride: 1 }, 1);
    const sim = new Simulator(b.program(), M);
    const p = pos("mem20");
    for (let k = 0; k < 5; k++) {
      sim.runUntil(RL + 1 + k);
      const words = sim.state().chips[0]!.streams;
      expect(words.filter((w) => w.stream === "s0e").map((w) => w.position)).toEqual([p + k + 1]);
      expect(words.filter((w) => w.stream === "s0w").map((w) => w.position)).toEqual([p - k]);
    }
  });

  it("a word falls off at the chip's edge", () => {
    const b = new ChipBuilder();
    b.data.push({ slice: 0, addr: 0, bytes: new Uint8Array(M.lanes).fill(1) });
    b.add("mem0", { op: "read", addr: 0, stream: s("s0w"), n: 1, stride: 1 }, 0);
    const sim = new Simulator(b.program(), M);
    sim.runUntil(RL + pos("mem0"));
    expect(sim.state().chips[0]!.streams.map((w) => w.position)).toEqual([0]);
    sim.runUntil(RL + pos("mem0") + 1);
    expect(sim.state().chips[0]!.streams).toEqual([]);
  });

  for (const [fn, cls] of [
    ["relu", "simple"],
    ["exp", "transcendental"],
  ] as const) {
    it(`VXM result appears LATENCY cycles after its operands (${cls}: ${fn})`, () => {
      const L = M.vxm.latency[cls];
      const b = new ChipBuilder().feed("fp32", (l) => l - 100, "s0e", pos("vxm0"), T, [0, 1, 2, 3]);
      b.add("vxm3", { op: "vunary", fn, type: "fp32", dst: s("s8e"), src: s("s0e"), n: 1 }, T);
      const sim = new Simulator(b.program(), M);
      expect(wordAt(sim, "fp32", "s8e", pos("vxm0"), T + L - 1)).toBeUndefined();
      expect(wordAt(sim, "fp32", "s8e", pos("vxm0"), T + L)?.[150]).toBe(
        Math.fround(fn === "relu" ? 50 : Math.exp(50)),
      );
      expect(sim.hazards).toEqual([]);
    });
  }

  it("VXM convert result appears L_convert cycles after its operand", () => {
    const b = new ChipBuilder().feed("int8", (l) => (l % 200) - 100, "s0e", pos("vxm0"), T, [5]);
    b.add("vxm0", { op: "convert", from: "int8", to: "fp16", dst: s("s4e"), src: s("s0e"), n: 1 }, T);
    const sim = new Simulator(b.program(), M);
    expect(wordAt(sim, "fp16", "s4e", pos("vxm0"), T + M.vxm.latency.convert)?.[3]).toBe(-97);
  });

  it("MXM result appears LATENCY cycles after the last activation vector", () => {
    const L = M.mxm.latency;
    const mx = pos("mxm0");
    const b = new ChipBuilder();
    b.feed("int8", (l) => (l === 0 ? 1 : 0), "s0w", mx, T, [60]);
    b.add("mxm0", { op: "lw", type: "int8", src: s("s0w"), n: 1, row0: 0 }, T);
    b.add("mxm0", { op: "iw" }, T + 1);
    const t = T + 1 + M.mxm.installLatency;
    b.feed("int8", () => 3, "s1w", mx, t, [61]).feed("int8", () => 4, "s1w", mx, t + 1, [62]);
    b.add("mxm0", { op: "abc", type: "int8", src: s("s1w"), n: 2, row0: 0, accumulate: false }, t);
    b.add("mxm0", { op: "acc", type: "int32", dst: s("s4e"), n: 1, row0: 1 }, t + 1 + L);
    const ok = new Simulator(b.program(), M);
    expect(wordAt(ok, "int32", "s4e", mx, t + 1 + L)?.[0]).toBe(4);
    ok.run();
    expect(ok.hazards).toEqual([]);
    // One cycle earlier, the result is not in yet.
    b.queues.mxm0!.pop();
    b.add("mxm0", { op: "acc", type: "int32", dst: s("s4e"), n: 1, row0: 1 }, t + L);
    const early = new Simulator(b.program(), M);
    early.run();
    expect(hazardNames(early)).toEqual(["acc-not-ready"]);
  });

  it("fp16 activations enter the MXM at a quarter of the int8 rate", () => {
    const C = M.mxm.cyclesPerVector.fp16;
    expect(C).toBe(4 * M.mxm.cyclesPerVector.int8);
    const mx = pos("mxm0");
    const build = (spacing: number) => {
      const b = new ChipBuilder();
      b.feed("fp16", () => 1, "s0w", mx, T, [60, 61]);
      b.add("mxm0", { op: "lw", type: "fp16", src: s("s0w"), n: 1, row0: 0 }, T);
      b.add("mxm0", { op: "iw" }, T + 1);
      const t = T + 1 + M.mxm.installLatency;
      b.feed("fp16", () => 1, "s2w", mx, t, [62, 63]).feed("fp16", () => 2, "s2w", mx, t + spacing, [64, 65]);
      b.add("mxm0", { op: "abc", type: "fp16", src: s("s2w"), n: 2, row0: 0, accumulate: false }, t);
      return new Simulator(b.program(), M);
    };
    const quarter = build(C);
    quarter.run();
    expect(quarter.hazards).toEqual([]);
    const full = build(1);
    full.run();
    expect(hazardNames(full)).toEqual(["stream-empty"]);
    expect(full.hazards[0]!.cycle).toBe(T + 1 + M.mxm.installLatency + C);
  });

  it("IW's weights are usable installLatency cycles after issue", () => {
    const mx = pos("mxm1");
    const build = (gap: number) => {
      const b = new ChipBuilder();
      b.add("mxm1", { op: "iw" }, T);
      b.feed("int8", () => 1, "s0w", mx, T + gap, [40]);
      b.add("mxm1", { op: "abc", type: "int8", src: s("s0w"), n: 1, row0: 0, accumulate: false }, T + gap);
      const sim = new Simulator(b.program(), M);
      sim.run();
      return sim;
    };
    expect(hazardNames(build(M.mxm.installLatency))).toEqual(["mxm-type"]);
    expect(hazardNames(build(M.mxm.installLatency - 1))).toEqual(["unit-busy", "mxm-type"]);
  });

  it("a MEM write is visible to reads writeLatency cycles after its access", () => {
    const m = deriveMachine(M, { mem_write_latency: "3" });
    const build = (readAt: number) => {
      const b = new ChipBuilder(m);
      b.feed("uint8", () => 9, "s0e", pos("mem30", m), T, [2]);
      b.add("mem30", { op: "write", addr: 0, stream: s("s0e"), n: 1, stride: 1 }, T);
      b.add("mem30", { op: "read", addr: 0, stream: s("s1e"), n: 1, stride: 1 }, T + readAt);
      const sim = new Simulator(b.program(), m);
      return sim;
    };
    const ok = build(3);
    expect(wordAt(ok, "uint8", "s1e", pos("mem30", m), T + 3 + m.mem.readLatency)?.[0]).toBe(9);
    const early = build(2);
    early.run();
    expect(hazardNames(early)).toEqual(["write-in-flight"]);
  });

  it("SXM result appears L_sxm cycles after its operand; transpose adds 15", () => {
    const sx = pos("sxm0");
    const b = new ChipBuilder();
    b.feed("int8", (l) => l, "s0w", sx, T, [30]);
    b.add(
      "sxm0",
      { op: "sxm", fn: "rotate", type: "int8", dst: s("s1w"), src: s("s0w"), n: 1, amount: 1 },
      T,
    );
    const sim = new Simulator(b.program(), M);
    expect(wordAt(sim, "int8", "s1w", sx, T + M.sxm.latency)?.[1]).toBe(0);
    expect(wordAt(sim, "int8", "s1w", sx, T + M.sxm.latency)?.[0]).toBe(127); // lane 319, saturated to int8 when fed
  });

  it("sync completes the cycle after the notify; the next instruction issues the cycle after that", () => {
    const b = new ChipBuilder();
    b.add("mem0", { op: "sync", token: "go" }, 0);
    b.add("mem0", { op: "read", addr: 0, stream: s("s0e"), n: 1, stride: 1 });
    b.add("mem1", { op: "notify", token: "go" }, 9);
    const sim = new Simulator(b.program(), M, { log: true });
    sim.run();
    expect(sim.hazards).toEqual([]);
    const issue = sim.logEntries!.find((e) => e.text.startsWith("mem0 issues read"));
    expect(issue?.cycle).toBe(9 + 1 + 1);
  });

  it("deskew leaves program cycles unchanged and reports the pause separately", () => {
    const b = new ChipBuilder();
    b.data.push({ slice: 0, addr: 0, bytes: new Uint8Array(M.lanes).fill(5) });
    b.add("mem0", { op: "deskew" }, 0);
    b.add("mem0", { op: "read", addr: 0, stream: s("s0e"), n: 1, stride: 1 }, 3);
    const sim = new Simulator(b.program(), M, { seed: 7 });
    expect(wordAt(sim, "uint8", "s0e", pos("mem0"), 3 + RL)?.[0]).toBe(5);
    sim.run();
    const r = sim.result();
    expect(r.cycles).toBe(3 + RL + 1);
    expect(r.pauseCycles).toBeGreaterThan(0);
  });
});
