// The teaching programs in programs/asm/ (vector add, dot product, 320x320 matvec, two chips): each assembles,
// prints back to itself, and runs on the simulator without hazards, producing the numbers its comments promise.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { seeded } from "../../arch/asm/data.ts";
import { parseAsm, printAsm } from "../../arch/asm/index.ts";
import type { Program } from "../../arch/isa.ts";
import { TSP_V1 } from "../../arch/presets.ts";
import { type RunResult, Simulator } from "../../simulator/lpu/index.ts";
import { formatDiagnostics } from "../../util/diagnostics.ts";

const TEACHING = ["vector-add", "dot-product", "matvec-320", "two-chip"];

function load(name: string): Program {
  const path = `programs/asm/${name}.lasm`;
  const text = readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
  const r = parseAsm(text, path);
  if (!r.program) throw new Error(formatDiagnostics(r.diagnostics, text));
  expect(r.diagnostics).toEqual([]);
  return r.program;
}

function run(p: Program, seed = 1): RunResult {
  const sim = new Simulator(p, TSP_V1, { seed });
  sim.run();
  return sim.result();
}

function output(r: RunResult, name: string, chip = 0): number[] {
  const o = r.outputs.find((x) => x.name === name && x.chip === chip);
  if (!o?.values) throw new Error(`no values for output ${name} on chip ${chip}`);
  return o.values;
}

describe("teaching programs assemble", () => {
  for (const name of TEACHING) {
    it(`${name}.lasm parses without diagnostics and its printed form parses to the same program`, () => {
      const p = load(name);
      const again = parseAsm(printAsm(p), "printed.lasm");
      expect(printAsm(again.program!)).toBe(printAsm(p));
    });
  }
});

describe("teaching programs run hazard-free with the right numbers", () => {
  it("vector-add: z[k] = k + 0.5 for 640 fp16 lanes, done in cycle 16", () => {
    const r = run(load("vector-add"));
    expect(r.hazards).toEqual([]);
    expect(output(r, "z")).toEqual(Array.from({ length: 640 }, (_, k) => k + 0.5));
    expect(r.cycles).toBe(16);
  });

  it("dot-product: lane 0 holds 0.5 * (0 + ... + 1279) = 409280 and every other lane 0", () => {
    const r = run(load("dot-product"));
    expect(r.hazards).toEqual([]);
    const d = output(r, "d");
    expect(d[0]).toBe(409280);
    expect(d.slice(1).every((v) => v === 0)).toBe(true);
  });

  it("matvec-320: y = W x with int32 accumulation, recomputed from the same seeded int8 data", () => {
    const r = run(load("matvec-320"));
    expect(r.hazards).toEqual([]);
    // Row 8i + j is word i of slice j, seeded 70 + j (the program loads 8 rows a cycle from 8 slices).
    const w: number[] = [];
    const blocks = Array.from({ length: 8 }, (_, j) => seeded("int8", 70 + j, 40 * 320));
    for (let r = 0; r < 320; r++) w.push(...blocks[r % 8]!.slice((r >> 3) * 320, ((r >> 3) + 1) * 320));
    const x = seeded("int8", 8, 320);
    const want = Array.from({ length: 320 }, (_, row) => {
      let s = 0;
      for (let c = 0; c < 320; c++) s += w[row * 320 + c]! * x[c]!;
      return s;
    });
    expect(output(r, "y")).toEqual(want);
  });

  it("two-chip: chip 1 receives v[k] = 1 + k/4 with the same cycle count for 20 clock seeds", () => {
    const p = load("two-chip");
    const want = Array.from({ length: 320 }, (_, k) => 1 + k / 4);
    const cycles = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const r = run(p, seed);
      expect(r.hazards, `seed ${seed}`).toEqual([]);
      expect(output(r, "v", 1)).toEqual(want);
      cycles.add(r.cycles);
    }
    expect([...cycles]).toEqual([271]);
  });

  it("two-chip without its deskews meets recv-empty for some clock seed", () => {
    const p = load("two-chip");
    const noDeskew: Program = {
      ...p,
      chips: p.chips.map((c) => ({
        ...c,
        queues: c.queues.map((q) => ({
          ...q,
          instructions: q.instructions.filter((i) => i.inst.op !== "deskew"),
        })),
      })),
    };
    const names = new Set<string>();
    for (let seed = 1; seed <= 5; seed++) for (const h of run(noDeskew, seed).hazards) names.add(h.name);
    expect(names.has("recv-empty")).toBe(true);
  });
});
