// The MXM planes' accumulator rows after a fast run (fast/planes.ts FastPlane.keepRows, chip.ts
// MxmPlane.useWrittenRows): the fast path hands the simulator only the rows an abc wrote, and the plane spreads them
// into its per-row arrays when something first looks. The rule checked: every plane's ready cycle and result type,
// row by row, equal the exact per-vector engine's (state() only counts the ready rows), and a plane no abc wrote
// has no rows in either.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../arch/asm/index.ts";
import type { Program } from "../../../arch/isa.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";

/** Per chip and plane: whether it has rows, then its ready cycles and row types as plain arrays. */
function planes(p: Program, exact: boolean) {
  const sim = new Simulator(p, TSP_V1, { functional: false, exact });
  sim.run();
  const rows = sim.chips.map((c) =>
    c.planes.map((pl) => (pl.hasRows ? [Array.from(pl.readyAt), Array.from(pl.rowType)] : "none")),
  );
  return { fast: sim.ranFast, rows, cycles: sim.result().cycles };
}

function expectSameRows(p: Program): number {
  const fast = planes(p, false);
  const exact = planes(p, true);
  expect(fast.fast).toBe(true);
  expect(exact.fast).toBe(false);
  expect(fast.cycles).toBe(exact.cycles);
  expect(fast.rows).toEqual(exact.rows);
  // Rows written: a ready cycle that is a number (NaN where no abc wrote).
  return fast.rows.flat().filter((r) => r !== "none" && (r[0] as number[]).some((x) => !Number.isNaN(x)))
    .length;
}

describe("MXM accumulator rows after a fast run", () => {
  it("matvec-320: each row's ready cycle and type equal the exact engine's", () => {
    const p = parseAsm(readFileSync("programs/asm/matvec-320.lasm", "utf8"), "matvec-320.lasm").program!;
    expect(expectSameRows(p)).toBeGreaterThan(0);
  });

  it("a stamped tiny-gpt (families of copies, run together): every plane's rows equal the exact engine's", () => {
    const file = "programs/tiny-gpt.model";
    const graph = loadModel(readFileSync(file, "utf8"), file, { layers: "4" }).graph!;
    const p = compile(graph, TSP_V1, { chips: 64, file, partition: "layers" }).program!;
    expect(p.chips.some((c) => c.copyOf)).toBe(true);
    expect(expectSameRows(p)).toBeGreaterThan(1);
  });
});
