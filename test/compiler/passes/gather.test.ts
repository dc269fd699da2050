// The gather path of embedding (lower-embedding.ts, tile.ts, the scheduler's gather step): id ranges, the index
// arithmetic each task does, and the banks a gather holds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../../arch/derive.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile, gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { idRanges } from "../../../compiler/passes/lower-embedding.ts";

const LOOKUP = `model lookup
const vocab = 700
const d = 400
input tokens: int32[1, 3]
param wte: fp16[vocab, d]
param wpe: fp16[64, d]
output e = add(embedding(tokens, wte), embedding(tokens, wpe))
`;

/** 446-word slices: 223-row id ranges, so the 700-row table takes four. */
const SMALL = deriveMachine(TSP_V1, { sram_mib: "12" });

function compiled() {
  const g = loadModel(LOOKUP, "t.model", {}).graph!;
  const r = compile(g, SMALL, { chips: 1, file: "t.model" });
  expect(r.diagnostics).toEqual([]);
  return r;
}

describe("id ranges of a gathered table", () => {
  it("a range is the largest divisor of a bank's words not above two weight blocks, so ranges stack in a slice", () => {
    expect(gatherRows(TSP_V1)).toBe(512);
    expect((TSP_V1.mem.wordsPerSlice / TSP_V1.mem.banksPerSlice) % gatherRows(TSP_V1)).toBe(0);
    // 446-word slices: a bank of 223 words, a prime, is one range.
    expect(gatherRows(SMALL)).toBe(223);
  });
  it("decompose without a machine cuts ranges as compile does for tsp-v1", () => {
    const g = loadModel(LOOKUP, "t.model", {}).graph!;
    const ranges = decompose(g, "t.model")
      .kernel.tensors.filter((t) => t.id.startsWith("wte.ids"))
      .map((t) => t.id);
    expect(ranges).toEqual(idRanges(700, gatherRows(TSP_V1)).map((r) => `wte.ids${r.first}`));
  });

  it("every id lands on its own row in its range and on a zero row of every other range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 3, max: 12 }), (v, rangeRows) => {
        const ranges = idRanges(v, rangeRows);
        expect(ranges[0]!.first).toBe(0);
        expect(ranges[ranges.length - 1]!.end).toBe(v);
        ranges.forEach((r, i) => {
          expect(r.rows).toBeLessThanOrEqual(rangeRows);
          if (i > 0) expect(r.first).toBe(ranges[i - 1]!.end);
        });
        for (let id = 0; id < v; id++)
          for (const r of ranges) {
            // The index the task computes (tile.ts): ids + offset, clamped into the range's rows.
            const index = Math.min(Math.max(id + r.at - r.first, 0), r.rows - 1);
            if (id >= r.first && id < r.end) expect(index).toBe(r.at + id - r.first);
            else expect(index < r.at || index >= r.at + (r.end - r.first)).toBe(true);
          }
      }),
    );
  });
});

describe("gather tasks", () => {
  it("a task clamps the ids only where ids + offset can leave its range, and copies them when nothing can", () => {
    const r = compiled();
    const shape = (op: string) =>
      r.tasks!.tasks.find((t) => t.op === op)!.steps.map((s) => (s.kind === "vbinary" ? s.fn : s.kind));
    const gathers = r.kernel!.ops.filter((o) => o.kind === "gather");
    const byTable = new Map(gathers.map((o) => [o.kind === "gather" ? o.table : "", o.id]));
    expect([...byTable.keys()].sort()).toEqual([
      "wpe.ids0",
      "wte.ids0",
      "wte.ids222",
      "wte.ids443",
      "wte.ids664",
    ]);
    // The first range starts at id 0 (no add, no max); the last ends at V (no min); one range needs neither.
    expect(shape(byTable.get("wte.ids0")!)).toEqual(["read", "min", "gather", "write"]);
    expect(shape(byTable.get("wte.ids222")!)).toEqual(["read", "add", "max", "min", "gather", "write"]);
    expect(shape(byTable.get("wte.ids664")!)).toEqual(["read", "add", "max", "gather", "write"]);
    expect(shape(byTable.get("wpe.ids0")!)).toEqual(["read", "vunary", "gather", "write"]);
  });
});
