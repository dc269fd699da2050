// Numeric tests of every instruction: VXM ops per type (rounding, int8 saturation, int32 wrap), convert, accum,
// a matmul against a hand computation, gather for an embedding lookup, scatter, SXM lane moves, link values.
import { describe, expect, it } from "vitest";
import type { ElemType, Instruction, VxmBinaryOp, VxmUnaryOp } from "../../../arch/isa.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { fp8Bits, fp8Value, roundResult } from "../../../simulator/lpu/values.ts";
import { roundBf16, roundF16, roundFp8E4M3 } from "../../../util/numeric.ts";
import { program, s } from "./build.ts";
import { ChipBuilder, LANES, M, pos, wordAt } from "./kit.ts";

const T = 100;
const VX = pos("vxm0");
const PLANES: Record<ElemType, number[]> = {
  int8: [0],
  uint8: [0],
  fp8: [0],
  fp16: [0, 1],
  bf16: [0, 1],
  fp32: [0, 1, 2, 3],
  int32: [0, 1, 2, 3],
};
const shift = (p: number[], k: number) => p.map((x) => x + k);

/** Runs one VXM instruction on fed operands and returns its result vector. */
function vxm(
  inst: Instruction,
  outType: ElemType,
  a: (l: number) => number,
  inType: ElemType,
  b?: (l: number) => number,
): Float64Array {
  const bld = new ChipBuilder().feed(inType, a, "s0e", VX, T, shift(PLANES[inType], 10));
  if (b) bld.feed(inType, b, "s8e", VX, T, shift(PLANES[inType], 20));
  bld.add("vxm0", inst, T);
  const sim = new Simulator(bld.program(), M);
  const L =
    inst.op === "convert"
      ? M.vxm.latency.convert
      : inst.op === "vunary" && ["tanh", "exp", "rsqrt", "recip"].includes(inst.fn)
        ? M.vxm.latency.transcendental
        : M.vxm.latency.simple;
  const out = wordAt(sim, outType, "s16e", VX, T + L);
  sim.run();
  expect(sim.hazards).toEqual([]);
  return out!;
}

const a = (l: number) => (l - 160) / 8;
const bfn = (l: number) => ((l * 37) % 101) / 16 - 3;
const ai = (l: number) => (l % 256) - 128;
const bi = (l: number) => ((l * 7) % 256) - 128;

describe("VXM arithmetic", () => {
  for (const type of ["fp32", "fp16", "bf16", "fp8"] as const) {
    for (const fn of ["add", "sub", "mul", "max", "min"] as VxmBinaryOp[]) {
      it(`${fn}.${type} is the exact result rounded once to ${type}`, () => {
        const y = vxm(
          { op: "vbinary", fn, type, dst: s("s16e"), a: s("s0e"), b: s("s8e"), n: 1 },
          type,
          a,
          type,
          bfn,
        );
        for (const l of [0, 1, 77, 160, 250, 319]) {
          const x = roundResult(type, a(l));
          const z = roundResult(type, bfn(l));
          const exact = { add: x + z, sub: x - z, mul: x * z, max: Math.max(x, z), min: Math.min(x, z) }[fn];
          expect(y[l]).toBe(roundResult(type, exact));
        }
      });
    }
    for (const fn of ["copy", "neg", "abs", "relu", "tanh", "exp", "rsqrt", "recip"] as VxmUnaryOp[]) {
      it(`${fn}.${type} is the exact result rounded once to ${type}`, () => {
        const pos1 = (l: number) => (l + 1) / 64;
        const input = fn === "rsqrt" || fn === "recip" ? pos1 : a;
        const y = vxm({ op: "vunary", fn, type, dst: s("s16e"), src: s("s0e"), n: 1 }, type, input, type);
        const f: Record<VxmUnaryOp, (x: number) => number> = {
          copy: (x) => x,
          neg: (x) => -x,
          abs: Math.abs,
          relu: (x) => Math.max(0, x),
          tanh: Math.tanh,
          exp: Math.exp,
          rsqrt: (x) => 1 / Math.sqrt(x),
          recip: (x) => 1 / x,
        };
        for (const l of [0, 3, 100, 200, 319])
          expect(y[l]).toBe(roundResult(type, f[fn](roundResult(type, input(l)))));
      });
    }
  }

  it("add.int8 saturates; add.int32 wraps; mul.int8 saturates", () => {
    const add8 = vxm(
      { op: "vbinary", fn: "add", type: "int8", dst: s("s16e"), a: s("s0e"), b: s("s8e"), n: 1 },
      "int8",
      ai,
      "int8",
      bi,
    );
    for (let l = 0; l < LANES; l++) expect(add8[l]).toBe(Math.max(-128, Math.min(127, ai(l) + bi(l))));
    const mul8 = vxm(
      { op: "vbinary", fn: "mul", type: "int8", dst: s("s16e"), a: s("s0e"), b: 3, n: 1 },
      "int8",
      ai,
      "int8",
    );
    expect(mul8[0]).toBe(-128);
    expect(mul8[150]).toBe(66);
    const big = (l: number) => 2147483000 + l;
    const add32 = vxm(
      { op: "vbinary", fn: "add", type: "int32", dst: s("s16e"), a: s("s0e"), b: 1000, n: 1 },
      "int32",
      big,
      "int32",
    );
    expect(add32[0]).toBe((2147483000 + 1000) | 0);
    const addU = vxm(
      { op: "vbinary", fn: "sub", type: "uint8", dst: s("s16e"), a: s("s0e"), b: 10, n: 1 },
      "uint8",
      (l) => l % 256,
      "uint8",
    );
    expect([addU[5], addU[20]]).toEqual([0, 10]);
  });

  it("convert rounds floats to nearest even and saturates integers", () => {
    const y = vxm(
      { op: "convert", from: "fp32", to: "int8", dst: s("s16e"), src: s("s0e"), n: 1 },
      "int8",
      (l) => (l - 160) * 1.5 + 0.5,
      "fp32",
    );
    expect(y[160]).toBe(0); // 0.5 -> 0 (half to even)
    expect(y[161]).toBe(2); // 2.0
    expect(y[0]).toBe(-128);
    expect(y[319]).toBe(127);
    const h = vxm(
      { op: "convert", from: "int32", to: "fp16", dst: s("s16e"), src: s("s0e"), n: 1 },
      "fp16",
      (l) => 2049 + l * 1000,
      "int32",
    );
    expect(h[0]).toBe(roundF16(2049));
    expect(h[319]).toBe(Number.POSITIVE_INFINITY); // 321049 is beyond fp16's 65504
    const b = vxm(
      { op: "convert", from: "fp32", to: "bf16", dst: s("s16e"), src: s("s0e"), n: 1 },
      "bf16",
      (l) => Math.PI * l,
      "fp32",
    );
    expect(b[7]).toBe(roundBf16(Math.fround(Math.PI * 7)));
  });

  it("accum sums n vectors lane-wise in the accumulator type and puts one result", () => {
    const bld = new ChipBuilder();
    for (let k = 0; k < 3; k++) bld.feed("int8", (l) => (l % 100) + k, "s0e", VX, T + k, [10 + k]);
    bld.add("vxm2", { op: "vaccum", type: "int8", dst: s("s16e"), src: s("s0e"), n: 3 }, T);
    const sim = new Simulator(bld.program(), M);
    const y = wordAt(sim, "int32", "s16e", VX, T + 2 + M.vxm.latency.simple)!;
    expect(y[99]).toBe(99 * 3 + 3);
  });
});

describe("fp8 e4m3 bytes", () => {
  it("encodes and decodes every representable value exactly", () => {
    for (let b = 0; b < 256; b++) {
      const v = fp8Value(b);
      if (Number.isNaN(v)) continue;
      // + 0 folds -0 into 0: util/numeric's rounding does not keep the sign of zero.
      expect(fp8Value(fp8Bits(v)) + 0).toBe(v + 0);
      expect(roundFp8E4M3(v) + 0).toBe(v + 0);
    }
  });
});

describe("MXM", () => {
  it("matmul equals a hand computation (int8 weights and activations, int32 result)", () => {
    const mx = pos("mxm0");
    const W = (r: number, c: number) => ((r * 3 + c * 5) % 7) - 3;
    const x = (c: number) => (c % 5) - 2;
    const bld = new ChipBuilder();
    const rows = 4;
    for (let r = 0; r < rows; r++) bld.feed("int8", (c) => W(r, c), "s0w", mx, T + r, [40 + r]);
    bld.add("mxm0", { op: "lw", type: "int8", src: s("s0w"), n: rows, row0: 0 }, T);
    bld.add("mxm0", { op: "iw" }, T + rows);
    const t = T + rows + M.mxm.installLatency;
    bld.feed("int8", x, "s2w", mx, t, [50]);
    bld.add("mxm0", { op: "abc", type: "int8", src: s("s2w"), n: 1, row0: 5, accumulate: false }, t);
    bld.add("mxm0", { op: "acc", type: "int32", dst: s("s4e"), n: 1, row0: 5 }, t + M.mxm.latency);
    const sim = new Simulator(bld.program(), M);
    const y = wordAt(sim, "int32", "s4e", mx, t + M.mxm.latency)!;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < LANES; c++) sum += W(r, c) * x(c);
      expect(y[r]).toBe(sum);
    }
    expect(y[rows]).toBe(0); // rows never loaded are zero
    sim.run();
    expect(sim.hazards).toEqual([]);
  });

  it("abc with acc adds to the accumulator row (fp16 in, fp32 result)", () => {
    const mx = pos("mxm2");
    const bld = new ChipBuilder();
    bld.feed("fp16", () => 0.5, "s0e", mx, T, [80, 81]);
    bld.add("mxm2", { op: "lw", type: "fp16", src: s("s0e"), n: 1, row0: 0 }, T);
    bld.add("mxm2", { op: "iw" }, T + 1);
    const t = T + 1 + M.mxm.installLatency;
    const C = M.mxm.cyclesPerVector.fp16;
    bld.feed("fp16", () => 1, "s2e", mx, t, [82, 83]).feed("fp16", () => 2, "s2e", mx, t + C, [84, 85]);
    bld.add("mxm2", { op: "abc", type: "fp16", src: s("s2e"), n: 1, row0: 0, accumulate: false }, t);
    bld.add("mxm2", { op: "abc", type: "fp16", src: s("s2e"), n: 1, row0: 0, accumulate: true }, t + C);
    const ready = t + C + M.mxm.latency;
    bld.add("mxm2", { op: "acc", type: "fp32", dst: s("s4w"), n: 1, row0: 0 }, ready);
    const sim = new Simulator(bld.program(), M);
    expect(wordAt(sim, "fp32", "s4w", mx, ready)?.[0]).toBe(0.5 * LANES * (1 + 2));
  });
});

describe("MEM", () => {
  it("gather looks up embedding rows by the int32 index in lane 0 of the map", () => {
    const bld = new ChipBuilder();
    for (let row = 0; row < 4; row++)
      bld.data.push({ slice: 30, addr: 100 + row, bytes: new Uint8Array(LANES).fill(10 + row) });
    const g = pos("mem30");
    for (const [k, index] of [3, 1].entries()) bld.feed("int32", () => index, "s4e", g, T + k, [0, 1, 2, 3]);
    bld.add("mem30", { op: "gather", base: 100, stream: s("s9e"), map: s("s4e"), n: 2 }, T);
    const sim = new Simulator(bld.program(), M);
    expect(wordAt(sim, "uint8", "s9e", g, T + M.mem.readLatency)?.[7]).toBe(13);
    expect(wordAt(sim, "uint8", "s9e", g, T + 1 + M.mem.readLatency)?.[7]).toBe(11);
  });

  it("scatter writes the word to base + index", () => {
    const bld = new ChipBuilder();
    const p = pos("mem30");
    bld.feed("int32", () => 7, "s4e", p, T, [0, 1, 2, 3]).feed("uint8", () => 99, "s9e", p, T, [5]);
    bld.add("mem30", { op: "scatter", base: 200, stream: s("s9e"), map: s("s4e"), n: 1 }, T);
    const sim = new Simulator(bld.program(), M);
    sim.run();
    expect(sim.hazards).toEqual([]);
    expect(sim.sramWord(0, 30, 207)?.[0]).toBe(99);
  });
});

describe("SXM", () => {
  const SX = pos("sxm1");
  const run = (inst: Instruction, n = 1, maps: Record<string, number[]> = {}) => {
    const bld = new ChipBuilder();
    for (let k = 0; k < n; k++)
      bld.feed("uint8", (l) => (l + 16 * k) % 256, "s0e", SX, T + k, [10 + (k % 30)]);
    bld.add("sxm1", inst, T);
    const p = bld.program();
    const sim = new Simulator({ ...p, maps }, M);
    return sim;
  };
  it("shift moves lanes up by amount, filling zeros; rotate wraps", () => {
    const sh = run({ op: "sxm", fn: "shift", type: "uint8", dst: s("s1e"), src: s("s0e"), n: 1, amount: 3 });
    const y = wordAt(sh, "uint8", "s1e", SX, T + M.sxm.latency)!;
    expect([y[0], y[2], y[3], y[10]]).toEqual([0, 0, 0, 7]);
    const ro = run({
      op: "sxm",
      fn: "rotate",
      type: "uint8",
      dst: s("s1e"),
      src: s("s0e"),
      n: 1,
      amount: -1,
    });
    expect(wordAt(ro, "uint8", "s1e", SX, T + M.sxm.latency)?.[319]).toBe(0);
  });
  it("permute takes lane map[l]", () => {
    const rev = Array.from({ length: LANES }, (_, l) => LANES - 1 - l);
    const sim = run(
      { op: "sxm", fn: "permute", type: "uint8", dst: s("s1e"), src: s("s0e"), n: 1, amount: 0, map: "rev" },
      1,
      { rev },
    );
    expect(wordAt(sim, "uint8", "s1e", SX, T + M.sxm.latency)?.[0]).toBe(319 % 256);
  });
  it("transpose swaps vector and lane within every superlane, output i at t + 15 + L + i", () => {
    const sim = run(
      { op: "sxm", fn: "transpose", type: "uint8", dst: s("s1e"), src: s("s0e"), n: 16, amount: 0 },
      16,
    );
    // input vector k, lane l = (l + 16k) % 256; output vector v, lane 16s + j = input j, lane 16s + v
    const v = 5;
    const y = wordAt(sim, "uint8", "s1e", SX, T + 15 + M.sxm.latency + v)!;
    for (const lane of [0, 3, 17, 40]) {
      const sl = Math.floor(lane / 16);
      const j = lane % 16;
      expect(y[lane]).toBe((16 * sl + v + 16 * j) % 256);
    }
  });
});

describe("functional: false", () => {
  it("tracks timing and hazards without values", () => {
    const p = program([
      {
        queues: {
          mem0: [{ inst: { op: "read", addr: 0, stream: s("s0e"), n: 4, stride: 1 }, cycle: 0 }],
          vxm0: [
            {
              inst: { op: "vunary", fn: "relu", type: "int8", dst: s("s1e"), src: s("s0e"), n: 5 },
              cycle: 46,
            },
          ],
        },
      },
    ]);
    const sim = new Simulator(p, M, { functional: false });
    sim.run();
    expect(sim.hazards.map((h) => [h.name, h.cycle])).toEqual([["stream-empty", 50]]);
    expect(sim.result().cycles).toBe(50 + M.vxm.latency.simple + 1);
  });
});
