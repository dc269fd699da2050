// `lpu explain`'s Gantt chart: one row per working queue ordered by chip, unit kind and queue number; one character
// per unit kind of work, every character in the legend; a nop (a queue waiting) is idle.
import { describe, expect, it } from "vitest";
import type { Instruction, UnitKind } from "../../../arch/isa.ts";
import { gantt } from "../../../compiler/schedule/explain.ts";
import type { ScheduledInst } from "../../../compiler/schedule/schedule-ir.ts";

const S = { id: 0, dir: "e" } as const;

function at(chip: number, kind: UnitKind, index: number, cycle: number, inst: Instruction): ScheduledInst {
  return { chip, queue: { kind, index }, cycle, inst, busy: 1, resource: "", task: "t", op: "o", note: "t" };
}

describe("Gantt chart", () => {
  const chart = gantt(
    [
      at(10, "mem", 1, 0, { op: "read", addr: 0, stream: S, n: 1, stride: 1 }),
      at(2, "mem", 10, 1, { op: "write", addr: 0, stream: S, n: 1, stride: 1 }),
      at(2, "sxm", 0, 2, { op: "sxm", fn: "shift", type: "int8", dst: S, src: S, n: 1, amount: 1 }),
      at(2, "mem", 9, 3, { op: "read", addr: 0, stream: S, n: 1, stride: 1 }),
      at(0, "c2c", 0, 4, { op: "send", type: "int8", src: S, n: 1 }),
      at(0, "c2c", 0, 5, { op: "recv", type: "int8", dst: S, n: 1 }),
      at(0, "vxm", 3, 6, { op: "sync", token: "a" }),
      at(0, "mxm", 1, 0, { op: "nop", cycles: 4 }),
    ],
    8,
    8,
  );
  const rows = chart.split("\n").slice(1);

  it("orders rows by chip number, then unit kind, then queue number (chip10 after chip2, mem10 after mem9)", () => {
    expect(rows.map((r) => r.trim().split(/ +\|/)[0])).toEqual([
      "chip0 vxm3",
      "chip0 c2c0",
      "chip2 mem9",
      "chip2 mem10",
      "chip2 sxm0",
      "chip10 mem1",
    ]);
  });

  it("draws SXM as S, send as >, receive as <, ICU control as Y, and each of them is in the legend", () => {
    expect(rows).toContain("  chip2 sxm0   |..S.....|");
    expect(rows).toContain("  chip0 c2c0   |....><..|");
    expect(rows).toContain("  chip0 vxm3   |......Y.|");
    const legend = chart.split("\n")[0]!;
    for (const c of new Set(rows.join("").replace(/chip[0-9]+ [a-z0-9]+|[ |]/g, "")))
      expect(legend, c).toContain(`${c} `);
  });

  it("leaves a queue that only waits (nop) out of the chart", () => {
    expect(chart).not.toContain("mxm1");
  });

  it("draws a repeated deskew in the cycles it deskews only, not across the span it holds its queue", () => {
    const d = { ...at(0, "c2c", 15, 1, { op: "deskew", n: 3, period: 3 }), busy: 7 };
    expect(gantt([d], 8, 8).split("\n")[1]).toBe("  chip0 c2c15  |.Y..Y..Y|");
  });
});
