// A queue's instructions as columns (arch/columns.ts): objects -> columns -> objects gives the objects back, every
// number exactly (those a 32-bit cell cannot hold included), and the helpers that copy columns keep that.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { placedAt, shiftedColumns, WIDE } from "../../arch/columns.ts";
import { columnQueue, columnsFromPlaced, columnsOf, queueLength } from "../../arch/columns-build.ts";
import type { Placed, StreamRef } from "../../arch/isa.ts";
import { program } from "./asm/arbitrary.ts";

const s = (id: number, dir: "e" | "w" = "e"): StreamRef => ({ id, dir });
const back = (list: readonly Placed[]): Placed[] => {
  const c = columnsFromPlaced(list);
  return Array.from({ length: c.count }, (_, k) => placedAt(c, k));
};

describe("instruction columns", () => {
  it("placedAt(columnsFromPlaced(list), k) is list[k] for every queue of random programs", () => {
    fc.assert(
      fc.property(program, (p) => {
        for (const c of p.chips)
          for (const q of c.queues) expect(back(q.instructions)).toEqual(q.instructions);
      }),
      { numRuns: 200 },
    );
  });

  it("numbers a 32-bit cell cannot hold (fractions, 2**40, NaN, -0, -2**31, infinities) come back exactly", () => {
    const odd = [2.5, 2 ** 40, Number.NaN, -0, WIDE, Number.POSITIVE_INFINITY, -(2 ** 31) - 1];
    const list: Placed[] = odd.flatMap((x): Placed[] => [
      { inst: { op: "read", addr: x, stream: s(3, "w"), n: x, stride: x }, cycle: x },
      { inst: { op: "vbinary", fn: "mul", type: "fp16", dst: s(x), a: s(2, "w"), b: x, n: 1 } },
      {
        inst: { op: "sxm", fn: "rotate", type: "int8", dst: s(0), src: s(1, "w"), n: 2, amount: x },
        note: "n",
      },
      { inst: { op: "deskew", n: x, period: x }, cycle: 7 },
    ]);
    const got = back(list);
    expect(got).toEqual(list);
    // toEqual does not tell -0 from 0.
    expect(Object.is((got[12]!.inst as { addr: number }).addr, -0)).toBe(true);
    expect(Object.is((got[13]!.inst as { b: number }).b, -0)).toBe(true);
  });

  it("absent optional fields stay absent and given ones stay given", () => {
    const list: Placed[] = [
      { inst: { op: "deskew" } },
      { inst: { op: "deskew", n: 1 } },
      { inst: { op: "lw", type: "fp8", src: s(8), n: 100, row0: 0 } },
      { inst: { op: "lw", type: "fp8", src: s(8), n: 100, row0: 0, width: 1 } },
      { inst: { op: "sxm", fn: "permute", type: "int8", dst: s(0), src: s(1), n: 3, amount: 0, map: "m" } },
      { inst: { op: "sxm", fn: "shift", type: "int8", dst: s(0), src: s(1), n: 3, amount: 0 } },
      { inst: { op: "sync", token: "t" }, span: { start: 4, end: 9 } },
    ];
    expect(back(list)).toStrictEqual(list);
  });

  it("shiftedColumns adds the shift to every given issue cycle, leaving absent ones absent", () => {
    const list: Placed[] = [
      { inst: { op: "iw" }, cycle: 5 },
      { inst: { op: "iw" } },
      { inst: { op: "iw" }, cycle: 2 ** 31 - 3 },
      { inst: { op: "iw" }, cycle: 1.5 },
    ];
    const c = shiftedColumns(columnsFromPlaced(list), 10);
    expect(Array.from({ length: 4 }, (_, k) => placedAt(c, k).cycle)).toEqual([
      15,
      undefined,
      2 ** 31 + 7,
      11.5,
    ]);
  });

  it("a copy of a column queue with instructions of its own is read from those instructions", () => {
    const q = columnQueue({ kind: "mxm", index: 0 }, columnsFromPlaced([{ inst: { op: "iw" }, cycle: 1 }]));
    expect(queueLength(q)).toBe(1);
    expect(q.instructions).toEqual([{ inst: { op: "iw" }, cycle: 1 }]);
    const changed = { ...q, instructions: [...q.instructions, { inst: { op: "iw" as const }, cycle: 9 }] };
    expect(columnsOf(changed).count).toBe(2);
    expect(placedAt(columnsOf(changed), 1).cycle).toBe(9);
  });
});
