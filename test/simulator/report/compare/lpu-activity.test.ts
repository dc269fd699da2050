// The LPU activity counts the energy model charges, hand-counted on the bundled teaching programs: each ABC vector
// is rows x cols MACs of its type, each MEM vector one 320-byte word, each sent vector bytes(type) words.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../../arch/asm/index.ts";
import { resolveMachine } from "../../../../arch/derive.ts";
import { Simulator } from "../../../../simulator/lpu/index.ts";
import { lpuCounts, programCounts } from "../../../../simulator/report/compare/lpu-activity.ts";

function runFile(path: string, functional = true): Simulator {
  const parsed = parseAsm(readFileSync(path, "utf8"), path);
  const sim = new Simulator(parsed.program!, resolveMachine("tsp-v1"), { functional });
  sim.run();
  expect(sim.hazards).toEqual([]);
  return sim;
}

describe("LPU activity counts from issued instructions", () => {
  it("matvec-320: one int8 ABC vector is 320 x 320 MACs; 8 x 40 + 1 reads and 4 writes of 320 B", () => {
    const c = lpuCounts(runFile("programs/asm/matvec-320.lasm"));
    expect(c.macs).toEqual({ int8: 320 * 320 });
    expect(c.mxmVectors).toBe(1);
    expect(c.sramBytes).toBe((8 * 40 + 1 + 4) * 320);
    expect(c.vectorOps).toBe(0);
    expect(c.linkBytes).toBe(0);
  });

  it("vector-add: an fp16 add of n = 2 vectors is 2 x 320 lane ops; 4 x 2 reads and 2 x 2 writes", () => {
    const c = lpuCounts(runFile("programs/asm/vector-add.lasm"));
    expect(c.vectorOps).toBe(2 * 320);
    expect(c.sramBytes).toBe((4 * 2 + 2 * 2) * 320);
    expect(c.macs).toEqual({});
  });

  it("two-chip: one fp16 vector sent is 2 words = 640 link bytes; the receive is not charged again", () => {
    const c = lpuCounts(runFile("programs/asm/two-chip.lasm"));
    expect(c.linkBytes).toBe(2 * 320);
    expect(c.sramBytes).toBe(4 * 320);
  });

  it("timing-only runs count the same activity as functional runs", () => {
    expect(lpuCounts(runFile("programs/asm/matvec-320.lasm", false))).toEqual(
      lpuCounts(runFile("programs/asm/matvec-320.lasm", true)),
    );
  });

  it("only issued instructions count: a run stopped halfway is charged for less", () => {
    const parsed = parseAsm(readFileSync("programs/asm/matvec-320.lasm", "utf8"), "m");
    const sim = new Simulator(parsed.program!, resolveMachine("tsp-v1"));
    sim.runUntil(40); // the eight weight reads (issued at 0..7) and the LW, but not x's read (47) or the ABC (60)
    const c = lpuCounts(sim);
    expect(c.macs).toEqual({});
    expect(c.sramBytes).toBe(8 * 40 * 320);
  });

  it("a complete run issues every instruction once: programCounts of the program equals lpuCounts of its run", () => {
    for (const file of ["matvec-320", "vector-add", "two-chip"]) {
      const path = `programs/asm/${file}.lasm`;
      const program = parseAsm(readFileSync(path, "utf8"), path).program!;
      expect(programCounts(program, resolveMachine("tsp-v1")), file).toEqual(lpuCounts(runFile(path)));
    }
  });
});
