// lw's `width` (docs/isa.md, MXM): w stream groups per cycle, rows row0 + i*w + j in cycle t + i, the loader busy
// ceil(n / w) cycles, at most mxm.maxLoadWidth; and its three spellings (assembly, printed, JSON) agree.
import { describe, expect, it } from "vitest";
import { parseAsm, printAsm, programFromJson, programToJson } from "../../../arch/asm/index.ts";
import { deriveMachine } from "../../../arch/derive.ts";
import { ELEM_BYTES, type ElemType, type Instruction } from "../../../arch/isa.ts";
import type { Machine } from "../../../arch/machine.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { encode, roundResult } from "../../../simulator/lpu/values.ts";
import { s } from "./build.ts";
import { ChipBuilder, hazardNames, M, pos, wordAt } from "./kit.ts";

const T = 100;
const MX = pos("mxm0");

/** Weight row r has value r + 1 in lane 0 and 0 elsewhere, so y = W e0 shows which rows were loaded where. */
const rowValue = (r: number) => r + 1;

/**
 * A program whose `lw width=w` at cycle T finds row i*w + j on group j in cycle T + i: group j's rows are words
 * 0, 1, ... of one MEM slice per byte plane, read (n rows at once) so that they reach the MXM side by side.
 * `lateRow` feeds that one row a cycle late (its own slice and read).
 */
function loadProgram(opts: {
  type: ElemType;
  n: number;
  width: number;
  row0?: number;
  lateRow?: number;
  machine?: Machine;
}): ChipBuilder {
  const { type, n, width } = opts;
  const m = opts.machine ?? M;
  const b = new ChipBuilder(m);
  const bytes = ELEM_BYTES[type];
  let nextSlice = 20;
  const readAt = (slice: number, cycle: number) => cycle - m.mem.readLatency - (pos(`mem${slice}`) - MX);
  for (let j = 0; j < width && j < n; j++) {
    const rows: number[] = [];
    for (let r = j; r < n; r += width) if (r !== opts.lateRow) rows.push(r);
    // Rows of this group, as words 0.. of its slices (a late row is left as a gap and fed on its own).
    const count = Math.ceil((n - j) / width);
    const values = new Float64Array(count * m.lanes);
    for (const r of rows) values[Math.floor(r / width) * m.lanes] = roundResult(type, rowValue(r));
    const planes = encode(type, values, count * m.lanes);
    for (let k = 0; k < bytes; k++) {
      const slice = nextSlice++;
      b.data.push({ slice, addr: 0, bytes: planes[k]! });
      const stream = { id: j * bytes + k, dir: "w" as const };
      b.add(`mem${slice}`, { op: "read", addr: 0, stream, n: count, stride: 1 }, readAt(slice, T));
    }
  }
  if (opts.lateRow !== undefined) {
    const r = opts.lateRow;
    const j = r % width;
    b.queues[`mem${20 + j * bytes}`]!.pop(); // re-read the group without the late row: shorter, then the row
    const i = Math.floor(r / width);
    const slice = 20 + j * bytes;
    if (i > 0)
      b.add(
        `mem${slice}`,
        { op: "read", addr: 0, stream: s(`s${j * bytes}w`), n: i, stride: 1 },
        readAt(slice, T),
      );
    b.feed(type, (l) => (l === 0 ? rowValue(r) : 0), `s${j * bytes}w`, MX, T + i + 1, [70]);
  }
  const inst: Instruction = {
    op: "lw",
    type,
    src: s("s0w"),
    n,
    row0: opts.row0 ?? 0,
    ...(width !== 1 ? { width } : {}),
  };
  b.add("mxm0", inst, T);
  return b;
}

describe("lw width", () => {
  it("lw with width w loads n rows in ceil(n/w) cycles", () => {
    for (const [n, w] of [
      [10, 4],
      [16, 8],
      [5, 1],
      [320, 8],
    ] as const) {
      const busy = Math.ceil(n / w);
      // The loader is free again exactly ceil(n/w) cycles after issue: a second lw then is fine, one cycle earlier
      // it is unit-busy.
      for (const [gap, want] of [
        [busy, []],
        [busy - 1, ["unit-busy"]],
      ] as const) {
        const b = loadProgram({ type: "int8", n, width: w });
        b.add("mxm0", { op: "lw", type: "int8", src: s("s20w"), n: 1, row0: 0 }, T + gap);
        b.feed("int8", () => 1, "s20w", MX, T + gap, [87]);
        const sim = new Simulator(b.program(), M);
        sim.run();
        expect(hazardNames(sim), `n=${n} width=${w} second lw after ${gap}`).toEqual(want);
      }
    }
  });

  it("lw with width w takes row row0 + i*w + j from group j in cycle t + i", () => {
    // Row 6 = 1*4 + 2 comes a cycle late: its group is empty at T + 1 (the only hazard), so the take cycle is t + i.
    const b = loadProgram({ type: "int8", n: 10, width: 4, lateRow: 6 });
    const sim = new Simulator(b.program(), M);
    sim.run();
    expect(hazardNames(sim)).toEqual(["stream-empty"]);
    expect(sim.hazards[0]!.cycle).toBe(T + 1);
    expect(sim.hazards[0]!.args[0]).toBe("s2w");
  });

  for (const type of ["int8", "fp16"] as const) {
    it(`lw width=4 of ${type} rows puts each row where the rule says (y = W e0 reads them back)`, () => {
      const n = 10;
      const row0 = 3;
      const b = loadProgram({ type, n, width: 4, row0 });
      const busy = Math.ceil(n / 4);
      b.add("mxm0", { op: "iw" }, T + busy);
      const t = T + busy + M.mxm.installLatency;
      const bytes = ELEM_BYTES[type];
      b.feed(type, (l) => (l === 0 ? 1 : 0), "s20w", MX, t, bytes === 1 ? [80] : [80, 81]);
      b.add("mxm0", { op: "abc", type, src: s("s20w"), n: 1, row0: 0, accumulate: false }, t);
      const ready = t + M.mxm.latency;
      const acc = type === "int8" ? "int32" : "fp32";
      b.add("mxm0", { op: "acc", type: acc, dst: s("s4e"), n: 1, row0: 0 }, ready);
      const sim = new Simulator(b.program(), M);
      const y = wordAt(sim, acc, "s4e", MX, ready)!;
      const want = Array.from({ length: 16 }, (_, r) => (r >= row0 && r < row0 + n ? rowValue(r - row0) : 0));
      expect(Array.from(y.subarray(0, 16))).toEqual(want);
      sim.run();
      expect(sim.hazards).toEqual([]);
    });
  }

  it("the timing-only fast path takes an lw's groups as the exact engine does, for any count and width", () => {
    // n a multiple of w or not (groups j < n mod w take one vector more), n below w, and a late row (a hazard:
    // the fast path must give up so the exact engine reports it), in a group of either kind (row 9 = 2*4 + 1 is the
    // third vector of group 1, which only the groups j < 10 mod 4 take).
    const seen = (b: ChipBuilder, exact: boolean) => {
      const sim = new Simulator(b.program(), M, { functional: false, exact });
      sim.run();
      const text = JSON.stringify({ hazards: hazardNames(sim), result: sim.result(), state: sim.state() });
      return { fast: sim.ranFast, text };
    };
    for (const type of ["int8", "fp16"] as const)
      for (const [n, w, late] of [
        [16, 4, undefined],
        [10, 4, undefined],
        [3, 8, undefined],
        [320, 8, undefined],
        [10, 4, 6],
        [10, 4, 9],
      ] as const) {
        // (the late-row builder feeds one byte plane: int8 only)
        if (late !== undefined && type !== "int8") continue;
        const b = loadProgram({ type, n, width: w, ...(late !== undefined ? { lateRow: late } : {}) });
        const fast = seen(b, false);
        const exact = seen(b, true);
        const what = `${type} n=${n} width=${w} late=${late}`;
        expect(fast.fast, what).toBe(late === undefined);
        expect(fast.text, what).toBe(exact.text);
      }
  });

  it("a width above mxm.maxLoadWidth is bad-instruction; a derived machine may allow more", () => {
    const w = M.mxm.maxLoadWidth + 1;
    const sim = new Simulator(loadProgram({ type: "int8", n: 2 * w, width: w }).program(), M);
    expect(hazardNames(sim)).toEqual(["bad-instruction"]);
    expect(String(sim.hazards[0]!.args[0])).toContain(`width ${w} exceeds`);
    const wide = deriveMachine(M, { mxm_load_width: String(w) });
    const ok = new Simulator(
      loadProgram({ type: "int8", n: 2 * w, width: w, machine: wide }).program(),
      wide,
    );
    ok.run();
    expect(ok.hazards).toEqual([]);
  });

  it("stream groups beyond a direction's streams are bad-instruction", () => {
    const b = new ChipBuilder();
    // fp16 width 8 from s18e would need streams 18..33.
    b.add("mxm0", { op: "lw", type: "fp16", src: s("s18e"), n: 8, row0: 0, width: 8 }, T);
    const sim = new Simulator(b.program(), M);
    expect(hazardNames(sim)).toEqual(["bad-instruction"]);
    expect(String(sim.hazards[0]!.args[0])).toContain("streams 18..33");
  });
});

describe("lw width in assembly and JSON", () => {
  const text =
    ".arch tsp-v1\n.queue mxm0\n  @5 lw.fp16 s0e, n=320, width=8\n  @45 lw.int8 s0w, n=4, width=1\n";

  it("parses width, prints it only when it is not 1, and round-trips through text and JSON", () => {
    const r = parseAsm(text, "t.lasm");
    expect(r.diagnostics).toEqual([]);
    const insts = r.program!.chips[0]!.queues[0]!.instructions.map((p) => p.inst);
    expect(insts[0]).toEqual({ op: "lw", type: "fp16", src: s("s0e"), n: 320, row0: 0, width: 8 });
    expect(insts[1]).toEqual({ op: "lw", type: "int8", src: s("s0w"), n: 4, row0: 0 });
    const printed = printAsm(r.program!);
    expect(printed).toContain("lw.fp16 s0e, n=320, width=8");
    expect(printed).toContain("lw.int8 s0w, n=4\n");
    const again = parseAsm(printed, "p.lasm").program!;
    expect(printAsm(again)).toBe(printed);
    const json = programToJson(again);
    expect(json).toContain('"width":8');
    const back = programFromJson(json, "t.json");
    expect(back.diagnostics).toEqual([]);
    expect(printAsm(back.program!)).toBe(printed);
  });

  it("the assembler rejects groups beyond the streams and a width below 1", () => {
    const wide = parseAsm(".arch tsp-v1\n.queue mxm0\n  lw.int8 s28e, n=8, width=8\n", "t.lasm");
    expect(wide.diagnostics.map((d) => d.code)).toEqual(["LPU3010"]);
    const zero = parseAsm(".arch tsp-v1\n.queue mxm0\n  lw.int8 s0e, n=8, width=0\n", "t.lasm");
    expect(zero.program).toBeUndefined();
    expect(zero.diagnostics.length).toBeGreaterThan(0);
  });

  it("JSON rejects a width that is not a whole number >= 1", () => {
    const json = programToJson(parseAsm(text, "t.lasm").program!).replace('"width":8', '"width":0');
    const back = programFromJson(json, "t.json");
    expect(back.program).toBeUndefined();
    expect(back.diagnostics[0]!.message).toContain("width");
  });
});
