// `lpu explain`'s MXM idle section (explain-planes.ts): the idle cycles between two products of a plane are charged
// to why the later product started no sooner, in order: its data, its plane's state, the reservation that shifted
// it; the charges of a gap add up to the gap.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { chargeGap, planeIdle } from "../../../compiler/schedule/explain-planes.ts";
import type { TaskTimes } from "../../../compiler/schedule/schedule-ir.ts";

const times = (t: Partial<TaskTimes>): TaskTimes => ({
  task: "p.abc",
  op: "p",
  ready: 0,
  planeReady: 0,
  start: 0,
  end: 0,
  waitedOn: "none",
  ...t,
});

describe("an idle gap before a product", () => {
  it("goes to data up to the product's readiness, then to its plane's state, then to the reservation", () => {
    // The product's task starts 10 cycles before its abc issues (its reads lead the array).
    const t = times({ ready: 140, planeReady: 160, start: 190, waitedOn: "bank" });
    expect(chargeGap(t, 200, 100, 200)).toEqual([
      ["data", 50],
      ["mxm", 20],
      ["bank", 30],
    ]);
  });
  it("is charged to the read phase (other) when nothing but the start's parity held the product", () => {
    expect(chargeGap(times({ start: 101 }), 101, 100, 101)).toEqual([["other", 1]]);
  });
  it("charges data no more than the gap when the inputs came later still", () => {
    expect(chargeGap(times({ ready: 500, planeReady: 500, start: 500 }), 500, 400, 500)).toEqual([
      ["data", 100],
    ]);
  });
});

describe("the section of a compiled program", () => {
  const file = "programs/tiny-gpt.model";
  const graph = loadModel(readFileSync(file, "utf8"), file, {}).graph!;
  const s = compile(graph, TSP_V1, { chips: 1, file }).schedule!;
  const lines = planeIdle(s, (op) => (op.startsWith("layer.") ? op.split(".").slice(0, 2).join(".") : ""));

  it("has a row per layer whose causes add up to its idle cycles", () => {
    const rows = lines.filter((l) => /^ {2}(layer\.\d|\(top level\))/.test(l));
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) {
      const [, busy, idle, causes] = /^ {2}.+? +(\d+) +(\d+) +\|(.*)$/.exec(r)!;
      expect(Number(busy)).toBeGreaterThan(0);
      const charged = causes!.trim().split(/ +/).map(Number);
      expect(charged.reduce((a, b) => a + b, 0)).toBe(Number(idle));
    }
  });
});
