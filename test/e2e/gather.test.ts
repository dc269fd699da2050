// End to end: embedding(ids, table) as MEM gathers (compiler/passes/lower-embedding.ts), with chosen ids at the
// edges of every id range of the table, on one chip and with the table on other chips than its readers.
import { describe, expect, it } from "vitest";
import { deriveMachine } from "../../arch/derive.ts";
import type { Machine } from "../../arch/machine.ts";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile, gatherRows } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { printKernelGraph } from "../../compiler/passes/kernel-ir.ts";
import { idRanges } from "../../compiler/passes/lower-embedding.ts";
import type { PartitionStrategy } from "../../compiler/passes/partition.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

/** Only the lookup: the output is the gathered rows themselves. */
const LOOKUP = `model lookup
const vocab = 700
const d = 400
const seq = 4
input tokens: int32[1, seq]
param wte: fp16[vocab, d]
output e = embedding(tokens, wte)
`;

/** Compiles with `ids` as the tokens, simulates with values, compares with the interpreter given the same ids. */
function runWithIds(
  text: string,
  ids: readonly number[],
  opts: {
    sets?: Record<string, string>;
    machine?: Machine;
    chips?: number;
    partition?: PartitionStrategy;
  } = {},
) {
  const machine = opts.machine ?? TSP_V1;
  const loaded = loadModel(text, "test.model", { ...opts.sets, seq: String(ids.length) });
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const graph = loaded.graph!;
  const sources = initialSources(graph, 0);
  sources.set("tokens", Int32Array.from(ids));
  const r = compile(graph, machine, {
    chips: opts.chips ?? 1,
    file: "test.model",
    sources,
    verifyEach: true,
    ...(opts.partition ? { partition: opts.partition } : {}),
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const run = runModel(graph, r.program!, r.report!, machine, { functional: true, seed: 0, sources });
  return { run, compiled: r };
}

/** Every id at an edge of a range (its first and last), and the table's first and last. */
function edgeIds(vocab: number, rangeRows: number): number[] {
  const ids = idRanges(vocab, rangeRows).flatMap((r) => [r.first, r.end - 1]);
  return [...new Set([0, ...ids, vocab - 1])];
}

describe("embedding as a MEM gather", () => {
  it("gather reads row id of the table for every token (one id range, two column tiles)", () => {
    const { run } = runWithIds(LOOKUP, [0, 1, 350, 699, 5, 5, 698]);
    expectExactRun(run);
    expect(run.maxAbsError).toBe(0);
  });

  it("ids at both edges of every id range read their own row, not a neighbour's or a range's zero row", () => {
    // 12 MiB of SRAM: 446-word slices, so 223-row ranges: 700 ids in four ranges, three with zero rows.
    const small = deriveMachine(TSP_V1, { sram_mib: "12" });
    const rangeRows = gatherRows(small);
    expect(idRanges(700, rangeRows)).toHaveLength(4);
    const { run, compiled } = runWithIds(LOOKUP, edgeIds(700, rangeRows), { machine: small });
    expectExactRun(run);
    expect(run.maxAbsError).toBe(0);
    // One gather instruction per (range, column tile, byte plane): 4 x 2 x 2.
    const gathers = compiled.program!.chips.flatMap((c) =>
      c.queues.flatMap((q) => q.instructions.filter((i) => i.inst.op === "gather")),
    );
    expect(gathers).toHaveLength(16);
  });

  it("a prefill's gathers read several copies of the id column, consecutive ranges sharing one, and every id still reads its row", () => {
    const sets = { vocab: "30000", d: "640" };
    // 40 tokens: 59 ranges x 2 column tiles x 40 id reads, about 4,700 cycles on one copy's read port.
    const ids = edgeIds(30000, gatherRows(TSP_V1)).slice(0, 40);
    const { run, compiled } = runWithIds(LOOKUP, ids, { sets });
    expectExactRun(run);
    expect(run.maxAbsError).toBe(0);
    // Per gathered range (by its first id), the id column its tasks read.
    const copyOf = new Map<number, string>();
    for (const t of compiled.tasks!.tasks) {
      const g = t.steps.find((x) => x.kind === "gather");
      const col = t.steps.find((x) => x.kind === "read" && x.ref.tensor.startsWith("tokens.col"));
      if (g?.kind !== "gather" || col?.kind !== "read") continue;
      const first = Number(/\.ids(\d+)/.exec(g.ref.tensor)![1]);
      expect(copyOf.get(first) ?? col.ref.tensor).toBe(col.ref.tensor);
      copyOf.set(first, col.ref.tensor);
    }
    const order = [...copyOf].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    expect(order).toHaveLength(idRanges(30000, gatherRows(TSP_V1)).length);
    const copies = [...new Set(order)];
    expect(copies.length).toBeGreaterThan(1);
    // Consecutive ranges share a copy: each copy's ranges are one run.
    expect(order.filter((c, i) => i === 0 || c !== order[i - 1]).length).toBe(copies.length);
  });

  it("one token's ranges summed in runs (groupedSumPlan) on several chips: every id still reads its own row", () => {
    // 12 MiB of SRAM (3.3 MB usable a chip): a 6,000-id table of 640 lanes (7.7 MB) takes 27 ranges of 223 ids and
    // at least three chips; 8 runs of 3 or 4 ranges (1 MB). Links of 20 cycles at 4 times tsp-v1's rate, so a
    // run's sum (4 words: 39 cycles) crosses sooner than one chip reads all 54 ids (lower-embedding.ts).
    const lane = (4 * TSP_V1.c2c.linkGbps) / TSP_V1.c2c.lanesPerLink;
    const small = deriveMachine(TSP_V1, { sram_mib: "12", link_latency: "20", link_gbps: String(lane) });
    const sets = { vocab: "6000", d: "640" };
    const ranges = idRanges(6000, gatherRows(small));
    for (const id of [0, ranges[10]!.first, ranges[11]!.first - 1, 5999]) {
      const { run, compiled } = runWithIds(LOOKUP, [id], {
        sets,
        machine: small,
        chips: 8,
        partition: "spread",
      });
      expectExactRun(run);
      expect(run.maxAbsError).toBe(0);
      const gatherChips = new Set(
        compiled.tasks!.tasks.filter((t) => t.steps.some((s) => s.kind === "gather")).map((t) => t.chip),
      );
      expect(gatherChips.size).toBeGreaterThan(1);
      // Runs, not sumPlan's tree: the first run's ranges 0..3 summed as a chain (one fused op).
      const first = printKernelGraph(compiled.kernel!)
        .split("\n")
        .find((l) => l.includes("= pointwise"));
      expect(first).toMatch(/= pointwise add\(add\(add\(%0, %1\), %2\), %3\)/);
    }
  });

  it("a table on other chips than its reader: ranges gathered on several chips, moved over links and summed", () => {
    const text = `${LOOKUP.replace("output e = embedding(tokens, wte)", "param wpe: fp16[64, d]\ninput positions: int32[1, seq]\noutput e = add(embedding(tokens, wte), embedding(positions, wpe))")}`;
    const sets = { vocab: "30000", d: "640" };
    const ids = edgeIds(30000, gatherRows(TSP_V1)).slice(0, 12);
    const { run, compiled } = runWithIds(text, ids, { sets, chips: 3, partition: "pipeline" });
    expectExactRun(run);
    expect(run.maxAbsError).toBe(0);
    const tasks = compiled.tasks!.tasks;
    const gatherChips = new Set(
      tasks
        .filter((t) => t.steps.some((s) => s.kind === "gather" && s.ref.tensor.startsWith("wte")))
        .map((t) => t.chip),
    );
    const outChips = new Set(
      tasks
        .filter((t) => t.steps.some((s) => s.kind === "write" && s.ref.tensor === "add_0"))
        .map((t) => t.chip),
    );
    expect(gatherChips.size).toBeGreaterThan(1);
    expect([...gatherChips].some((c) => !outChips.has(c))).toBe(true);
  });

  it("computed ids, one per row (topk's indices), index the table as they are", () => {
    const run = compileAndRunText(`model t
input x: fp16[5, 16]
param wte: fp16[16, 400]
v, i = topk(x, k=1)
output e = embedding(i, wte)
`);
    expectExactRun(run);
    expect(run.maxAbsError).toBe(0);
  });
});
