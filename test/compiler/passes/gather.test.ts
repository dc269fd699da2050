// The gather path of embedding (lower-embedding.ts, tile.ts, the scheduler's gather step): id ranges, the index
// arithmetic each task does, and the banks a gather holds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../../arch/derive.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile, gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { printKernelGraph } from "../../../compiler/passes/kernel-ir.ts";
import {
  CHAIN_RUN_SHORT,
  groupedSumPlan,
  idRanges,
  type SumStep,
  sumPlan,
} from "../../../compiler/passes/lower-embedding.ts";

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

/** Per plan step, the ranges its result sums: [first, end). Fails unless every add joins adjacent spans in order. */
function spans(plan: readonly SumStep[]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of plan) {
    if ("range" in p) out.push([p.range, p.range + 1]);
    else {
      const [a, b] = [out[p.add[0]]!, out[p.add[1]]!];
      expect(a[1]).toBe(b[0]);
      out.push([a[0], b[1]]);
    }
  }
  return out;
}

describe("the ranges' sum (lower-embedding.ts sumPlan)", () => {
  it("gathers every range once, in list order, and each add joins two adjacent spans, the earlier first", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), (n) => {
        const plan = sumPlan(n);
        expect(plan.flatMap((p) => ("range" in p ? [p.range] : []))).toEqual([...Array(n).keys()]);
        expect(spans(plan)[plan.length - 1]).toEqual([0, n]);
        plan.forEach((p, i) => {
          if ("add" in p) expect(Math.max(...p.add)).toBeLessThan(i);
        });
      }),
    );
  });

  it("runs of ranges that share a node are added there first: at most ceil(log2(runs)) partial sums cross a run border", () => {
    // A node border between runs (llama3-8b: 252 ranges, runs 128 64 32 | 16 8 4): an add that joins a sum of
    // ranges wholly before the border with one holding later ranges moves the former across (the partitioner puts
    // the add with the later ranges once their node is open). Added from the last run up, five crossed there.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), (n) => {
        const plan = sumPlan(n);
        const span = spans(plan);
        const runs = n.toString(2).replace(/0/g, "").length;
        const borders: number[] = [];
        for (let bit = 2 ** Math.floor(Math.log2(n)); bit >= 1; bit /= 2)
          if ((n & bit) !== 0) borders.push((borders[borders.length - 1] ?? 0) + bit);
        for (const border of borders.slice(0, -1)) {
          const crossing = plan.filter((p) => {
            if (!("add" in p)) return false;
            const [a, b] = [span[p.add[0]]!, span[p.add[1]]!];
            return a[1] <= border && b[1] > border;
          }).length;
          expect(crossing).toBeLessThanOrEqual(Math.ceil(Math.log2(runs)));
        }
        // Each add comes before the gather of any range after its span: planned as soon as its inputs are.
        plan.forEach((p, i) => {
          if ("range" in p) return;
          const later = plan.findIndex((q) => "range" in q && q.range >= span[i]![1]);
          if (later >= 0) expect(i).toBeLessThan(later);
        });
      }),
    );
    expect(sumPlan(252).length).toBe(2 * 252 - 1);
  });
});

describe("one token's ranges summed a run a chip (lower-embedding.ts groupedSumPlan)", () => {
  it("gathers every range once in list order, the first run (the chain's chip) CHAIN_RUN_SHORT ranges short of an even share, the others differing by at most one, each run's sum one add into the chain", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 16 }), (n, groups) => {
        const plan = groupedSumPlan(n, groups);
        expect(plan.flatMap((p) => ("range" in p ? [p.range] : []))).toEqual([...Array(n).keys()]);
        const span = spans(plan);
        expect(span[plan.length - 1]).toEqual([0, n]);
        expect(plan.length).toBe(2 * n - 1);
        // The adds that join sums of several ranges on both sides are the chain over the runs: one per run after
        // the first (each run's sum crosses to the chain's chip once), the rest add one range to its run's sum.
        const runs = Math.min(n, groups);
        const first = runs === 1 ? n : Math.max(1, Math.ceil(n / runs) - CHAIN_RUN_SHORT);
        const chain = plan.filter(
          (p) => "add" in p && span[p.add[0]]![0] === 0 && span[p.add[1]]![0] >= first,
        );
        // Each chain add joins the runs so far (from range 0) with one whole run (its sum, ending where the next
        // run starts): runs - 1 of them, the first run `first` ranges, the others sharing the rest evenly.
        expect(chain).toHaveLength(runs - 1);
        const head = chain[0];
        if (head && "add" in head) expect(span[head.add[0]]).toEqual([0, first]);
        const sizes = chain.map((p) => ("add" in p ? span[p.add[1]]![1] - span[p.add[1]]![0] : 0));
        for (const size of sizes) expect(Math.abs(size - (n - first) / (runs - 1))).toBeLessThan(1);
        plan.forEach((p, i) => {
          if ("add" in p) expect(Math.max(...p.add)).toBeLessThan(i);
        });
      }),
    );
  });

  it("decompose sums one token's ranges in runs with a node's chips given, and keeps sumPlan for several tokens, fast gathers and a table past the node", () => {
    // 4 ranges of 223 rows; over 4 chips, 4 runs of one range: a chain, folded into one op (fuse.ts). Several
    // tokens keep sumPlan's balanced tree, and so does a decompose without chips.
    const sum = (tokens: number, chips?: number, linkLatency = 0) => {
      const text = LOOKUP.replace("int32[1, 3]", `int32[1, ${tokens}]`).replace(
        "add(embedding(tokens, wte), embedding(tokens, wpe))",
        "embedding(tokens, wte)",
      );
      const g = loadModel(text, "t.model", {}).graph!;
      const embeddingChips =
        chips === undefined ? undefined : { chips, bytes: 1e9, linkLatency, wordCycles: 1 };
      const k = decompose(g, "t.model", { gatherRows: 223, embeddingChips }).kernel;
      return printKernelGraph(k)
        .split("\n")
        .find((l) => l.includes("= pointwise"))
        ?.replace(/ \[.*/, "");
    };
    expect(sum(1, 4)).toMatch(/= pointwise add\(add\(add\(%\d, %\d\), %\d\), %\d\)$/);
    expect(sum(3, 4)).toMatch(/= pointwise add\(add\(%\d, %\d\), add\(%\d, %\d\)\)$/);
    expect(sum(1)).toBe(sum(3, 4));
    // The id reads on one chip (4 ranges x 2 tiles: 8 cycles) against one run's sum on a link (latency + 4 words):
    // runs while the reads are longer, sumPlan from a latency of 4 on; and for a table larger than the node.
    expect(sum(1, 4, 3)).toBe(sum(1, 4));
    expect(sum(1, 4, 4)).toBe(sum(3, 4));
    const big = (() => {
      const text = LOOKUP.replace("int32[1, 3]", "int32[1, 1]").replace(
        "add(embedding(tokens, wte), embedding(tokens, wpe))",
        "embedding(tokens, wte)",
      );
      const g = loadModel(text, "t.model", {}).graph!;
      const embeddingChips = { chips: 4, bytes: (700 * 400 * 2) / 4 - 1, linkLatency: 0, wordCycles: 1 };
      const k = decompose(g, "t.model", { gatherRows: 223, embeddingChips }).kernel;
      return printKernelGraph(k)
        .split("\n")
        .find((l) => l.includes("= pointwise"))
        ?.replace(/ \[.*/, "");
    })();
    expect(big).toBe(sum(3, 4));
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
