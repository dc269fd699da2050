// The printer writes each row of a queue straight from its columns (print-row.ts); the rule: every row prints as
// the Placed object of the same row (placedAt) printed by printPlaced, so the printed program is unchanged.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { printPlaced } from "../../../arch/asm/print.ts";
import { printRow } from "../../../arch/asm/print-row.ts";
import { placedAt } from "../../../arch/columns.ts";
import { columnsFromPlaced, columnsOf } from "../../../arch/columns-build.ts";
import type { Placed } from "../../../arch/isa.ts";
import { program } from "./arbitrary.ts";

const S = (id: number, dir: "e" | "w" = "e") => ({ id, dir }) as const;

/** Rows the random programs seldom hold: defaults and not, immediates that print specially, cells too wide for
 * an Int32, notes with newlines, tokens and maps that need quotes. */
const EDGES: Placed[] = [
  { inst: { op: "nop", cycles: 3 } },
  { inst: { op: "sync", token: "a b" }, cycle: 0, note: "x\ny" },
  { inst: { op: "notify", token: "inf" } },
  { inst: { op: "deskew" } },
  { inst: { op: "deskew", n: 1 } },
  { inst: { op: "deskew", n: 4, period: 2 } },
  { inst: { op: "deskew", period: 7 } },
  { inst: { op: "read", addr: 2 ** 40, stream: S(3, "w"), n: 1, stride: 1 }, cycle: 2 ** 33 },
  { inst: { op: "write", addr: 5, stream: S(2 ** 31), n: 7, stride: -2 }, note: "t" },
  { inst: { op: "gather", base: 1, stream: S(1), map: S(2, "w"), n: 2 } },
  { inst: { op: "scatter", base: 0, stream: S(1), map: S(2), n: 1 } },
  { inst: { op: "vunary", fn: "exp", type: "fp32", dst: S(0), src: S(1, "w"), n: 1 } },
  { inst: { op: "vbinary", fn: "add", type: "fp16", dst: S(0), a: S(1), b: S(2, "w"), n: 3 } },
  { inst: { op: "vbinary", fn: "mul", type: "fp32", dst: S(0), a: S(1), b: -0, n: 1 } },
  { inst: { op: "vbinary", fn: "max", type: "fp32", dst: S(0), a: S(1), b: Number.NaN, n: 1 } },
  { inst: { op: "vbinary", fn: "min", type: "fp32", dst: S(0), a: S(1), b: 0.1, n: 1 } },
  { inst: { op: "vbinary", fn: "sub", type: "fp32", dst: S(0), a: S(1), b: Number.NEGATIVE_INFINITY, n: 1 } },
  { inst: { op: "convert", from: "fp32", to: "bf16", dst: S(4), src: S(5), n: 9 } },
  { inst: { op: "vaccum", type: "fp32", dst: S(4), src: S(5), n: 1 } },
  { inst: { op: "lw", type: "fp8", src: S(6), n: 320, row0: 0 } },
  { inst: { op: "lw", type: "fp16", src: S(6), n: 160, row0: 64, width: 1 } },
  { inst: { op: "lw", type: "fp16", src: S(6), n: 160, row0: 64, width: 2 } },
  { inst: { op: "iw" } },
  { inst: { op: "abc", type: "int8", src: S(7), n: 1, row0: 0, accumulate: false } },
  { inst: { op: "abc", type: "fp16", src: S(7), n: 5, row0: 3, accumulate: true } },
  { inst: { op: "acc", type: "fp32", dst: S(8), n: 5, row0: 3 } },
  { inst: { op: "sxm", fn: "shift", type: "fp32", dst: S(0), src: S(1), n: 1, amount: 0 } },
  { inst: { op: "sxm", fn: "rotate", type: "fp32", dst: S(0), src: S(1), n: 2, amount: -3 } },
  { inst: { op: "sxm", fn: "permute", type: "int8", dst: S(0), src: S(1), n: 1, amount: 0, map: "m" } },
  { inst: { op: "sxm", fn: "distribute", type: "int8", dst: S(0), src: S(1), n: 1, amount: 2, map: "m 2" } },
  { inst: { op: "sxm", fn: "transpose", type: "fp16", dst: S(0), src: S(1), n: 1, amount: 0 } },
  { inst: { op: "sxm", fn: "transpose", type: "fp16", dst: S(0), src: S(1), n: 1, amount: 4, map: "q" } },
  { inst: { op: "send", type: "fp16", src: S(9), n: 1 } },
  { inst: { op: "recv", type: "fp16", dst: S(9, "w"), n: 11 }, cycle: -1 },
];

describe("printRow", () => {
  it("prints every row of every queue of random programs as printPlaced prints its Placed", () => {
    fc.assert(
      fc.property(program, (p) => {
        for (const chip of p.chips)
          for (const q of chip.queues) {
            const c = columnsOf(q);
            for (let k = 0; k < c.count; k++) expect(printRow(c, k)).toBe(printPlaced(placedAt(c, k)));
          }
      }),
      { numRuns: 200 },
    );
  });

  it("prints each kind of row, defaults, wide cells, special numbers and quoted names included, as printPlaced", () => {
    const c = columnsFromPlaced(EDGES);
    for (const [k, pl] of EDGES.entries()) expect(printRow(c, k)).toBe(printPlaced(pl));
  });
});
