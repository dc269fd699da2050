// The spread placement (compiler/passes/spread.ts): with chips to spare, auto places a model that needs several
// chips op by op where it is estimated to finish first, which schedules faster than packing it on the fewest
// chips, stays inside each chip's SRAM, and runs cycle-exact with the interpreter's values; a model that fits one
// chip keeps the packing unless `--partition spread` asks. A matmul split by output columns loads each chip's rows
// of its weight (transposed or not); a model output no op reads stays in parts on the chips computing it, over
// one node or two; the interpreter's values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import type { Program } from "../../../arch/isa.ts";
import type { Machine } from "../../../arch/machine.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import {
  type PartitionStrategy,
  partition,
  spreadTiming,
  usableBytesPerChip,
} from "../../../compiler/passes/partition.ts";
import { heavy } from "../../../compiler/passes/spread.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../../support/exact.ts";
import { compileSpread, fp8Layer } from "../../support/spread.ts";

/** 640 words per MEM slice: a 640-wide llama layer needs two chips. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "640" });
const LLAMA = "programs/llama2-7b.model";
const LAYER = {
  d: "640",
  heads: "8",
  kv_heads: "8",
  ff: "1280",
  vocab: "1280",
  ctx: "320",
  layers: "1",
};

function build(
  path: string,
  sets: Record<string, string>,
  m: Machine,
  chips: number,
  strategy: PartitionStrategy,
  data = false,
) {
  const graph = loadModel(readFileSync(path, "utf8"), path, sets).graph!;
  const r = compile(graph, m, {
    chips,
    file: path,
    partition: strategy,
    sources: data ? initialSources(graph, 0) : undefined,
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { graph, r };
}

describe("spreading over the chips given", () => {
  it("auto spreads a llama layer that packs on 3 chips over more of 16, schedules it faster, exact with the interpreter's values", () => {
    // ctx 960: at ctx 320 the packing's 2 chips won since a softmax sums in one product (5,207 against 5,636); at
    // ctx 640, since q's rope runs per head (lower-rope.ts ropeHeads, a rotation block per head offset: 3 chips),
    // 5,212 against 5,421.
    const layer = { ...LAYER, ctx: "960" };
    const packed = build(LLAMA, layer, SMALL, 16, "pack").r;
    const { graph, r } = build(LLAMA, layer, SMALL, 16, "auto", true);
    expect(packed.report!.chips).toBe(3);
    expect(r.report!.chips).toBeGreaterThan(2);
    expect(r.report!.cycles).toBeLessThan(packed.report!.cycles);
    expectExact(graph, r, SMALL);
  });

  it("keeps every chip's SRAM estimate within the bytes a chip may fill", () => {
    const { r } = build(LLAMA, LAYER, SMALL, 16, "auto");
    const p = partition(r.kernel!, SMALL, 16, LLAMA).partitioned;
    expect(p.chipBytes.length).toBe(r.report!.chips);
    for (const b of p.chipBytes) expect(b).toBeLessThanOrEqual(usableBytesPerChip(SMALL));
  });

  it("a model that fits one chip keeps the packing under auto (tiny-gpt on 2 chips); spread must be asked for", () => {
    const TINY = "programs/tiny-gpt.model";
    const auto = build(TINY, {}, TSP_V1, 2, "auto").r;
    const pack = build(TINY, {}, TSP_V1, 2, "pack").r;
    const spread = build(TINY, {}, TSP_V1, 2, "spread").r;
    expect(auto.report!.chips).toBe(1);
    expect(auto.report!.cycles).toBe(pack.report!.cycles);
    expect(spread.report!.chips).toBe(2);
  });

  it("a column split of a model output no op reads keeps each chip's tiles there: no sends, every tile an output region once, exact with the interpreter's values", () => {
    // lm_head [6400 x 960]: 20 output column tiles, 3 K tiles. Split by K each chip would send 20 fp32 tiles of
    // partial sums; split by columns, the logits stay where they are computed (tile-columns.ts outputParts).
    // d 960 (6 heads): the estimate then also column splits the MLP's product, an output that is read (at d 640
    // it placed that product whole once a product's SRAM trip was priced: spread-timeline.ts).
    const sets = { ...LAYER, d: "960", heads: "6", kv_heads: "6", vocab: "6400" };
    const { graph, r } = build(LLAMA, sets, SMALL, 16, "auto", true);
    const p = partition(r.kernel!, SMALL, 16, LLAMA).partitioned;
    const n = p.nSplits?.get("matmul_0");
    expect(n).toBeDefined();
    expect(n!.length).toBeGreaterThan(2);
    expect(p.matmulChips.has("matmul_0")).toBe(false);
    const sends = r.tasks!.tasks.filter(
      (t) => t.op === "matmul_0" && t.steps.some((st) => st.kind === "send"),
    );
    expect(sends).toEqual([]);
    expect(logitTiles(r.program!)).toEqual(expectedTiles(p.stageOf.get("matmul_0")!.base, n!));
    // A column split whose output is read (the MLP's product here) still sends its finished fp16 tiles to its
    // first chip: one row per tile not computed there.
    const read = [...(p.nSplits ?? new Map<string, readonly number[]>())].filter(([op]) => op !== "matmul_0");
    expect(read.length).toBeGreaterThan(0);
    for (const [op, bounds] of read) {
      const back = r.tasks!.tasks.flatMap((t) =>
        t.op === op ? t.steps.flatMap((st) => (st.kind === "send" ? [st] : [])) : [],
      );
      expect(new Set(back.map((st) => st.type))).toEqual(new Set(["fp16"]));
      expect(back.reduce((sum, st) => sum + st.n, 0)).toBe(bounds[bounds.length - 1]! - bounds[1]!);
    }
    expectExact(graph, r, SMALL);
  });

  it("the column split of a model output no op reads may span two nodes (4-chip nodes): `a` routed over the gateway, exact with the interpreter's values", () => {
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "4" });
    const sets = { ...LAYER, vocab: "6400" };
    const { graph, r } = build(LLAMA, sets, m, 16, "auto", true);
    const p = partition(r.kernel!, m, 16, LLAMA).partitioned;
    const n = p.nSplits?.get("matmul_0") ?? [];
    const st = p.stageOf.get("matmul_0")!;
    // Its chips lie in two nodes.
    expect(Math.floor(st.base / 4)).toBeLessThan(Math.floor((st.base + st.width - 1) / 4));
    expect(logitTiles(r.program!)).toEqual(expectedTiles(st.base, n));
    expectExact(graph, r, m);
  });

  it("a column split of a weight stored untransposed (gpt2's tied embedding table as the lm_head) loads each chip's rows of it: the interpreter's values", () => {
    const GPT2 = "programs/gpt2-small.model";
    const sets = { vocab: "6400", d: "640", heads: "8", layers: "1", ctx: "320", max_positions: "640" };
    const { graph, r } = build(GPT2, sets, SMALL, 16, "auto", true);
    const p = partition(r.kernel!, SMALL, 16, GPT2).partitioned;
    expect(p.nSplits?.get("matmul_0")?.length).toBeGreaterThan(2);
    expectExact(graph, r, SMALL);
  });

  it("a heavy product (its 8-bit weight tiles on one node's planes take 1.5x its input and output words' link time) may leave the current node of a unit: llama2-70b-fp8's gate, up and down are heavy, its q, k, v and o are not", () => {
    const { kernel, ctx } = fp8Layer();
    const heavyOps = kernel.ops
      .filter((op) => heavy(ctx, spreadTiming(TSP_V1), op) && op.id.startsWith("layer.0."))
      .map((op) => op.id);
    // matmul_0..3: q, k, v, o; matmul_4, matmul_5: gate, up; m: down.
    expect(heavyOps).toEqual(["layer.0.matmul_4", "layer.0.matmul_5", "layer.0.m"]);
  });
});

describe("heavy products over several nodes", () => {
  it("a heavy product's column split whose output is read may run into the next node: chip 0 copies the far chips' tiles in over the gateway, exact with the interpreter's values", () => {
    // Nodes of one chip, so that any split crosses a gateway; 8-bit weights of 5 x 5 tiles are heavy there. The
    // gate's product is a model output too, so the pair's MLP cannot stay in place (in-place.test.ts): up's
    // column split sends its tiles back.
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "1" });
    const text = `model gated
input x: fp16[1, 1600]
param g: fp8[1600, 1600]
param u: fp8[1600, 1600]
param w: fp8[1600, 1600]
output h = matmul(x, g)
output y = matmul(mul(silu(h), matmul(x, u)), w)
`;
    const { graph, r, p } = compileSpread(text, "gated.model", m, 8);
    const split = r.kernel!.ops.find(
      (op) => (p.nSplits?.get(op.id)?.length ?? 0) > 2 && op.out !== "y" && op.out !== "h",
    );
    expect(split, "a read output split by columns over two chips (two nodes)").toBeDefined();
    const base = p.stageOf.get(split!.id)!.base;
    const copies = scheduledInsts(r.schedule!).filter((i) => i.op === split!.id && /\.copy$/.test(i.task));
    expect(copies.length).toBeGreaterThan(0);
    expect(new Set(copies.map((i) => i.chip))).toEqual(new Set([base]));
    expectExact(graph, r, m);
  }, 60_000);

  it("a heavy product's K split over whole nodes may give the first node more K tiles than the later ones: each later node's sum added on its first chip, exact with the interpreter's values", () => {
    // Nodes of one chip; the down product's 30 K tiles of 8-bit weights over two nodes, its input made on the first
    // (at 20 K tiles the estimate, counting one hop between nodes of one chip as stages.ts routes it, splits it by
    // columns).
    const m = resolveMachine("tsp-v1", { mem_words: "1024", chips_per_node: "1" });
    const text = `model gated
input x: fp16[1, 320]
param g: fp8[320, 9600]
param u: fp8[320, 9600]
param w: fp8[9600, 1600]
output y = matmul(mul(silu(matmul(x, g)), matmul(x, u)), w)
`;
    const { graph, r, p } = compileSpread(text, "gated.model", m, 2);
    const down = r.kernel!.ops.at(-1)!;
    const k = p.kSplits?.get(down.id);
    expect(k, "the down product K split").toBeDefined();
    expect(k!.length).toBeGreaterThan(2);
    expect(k![1]! - k![0]!).toBeGreaterThan(k!.at(-1)! - k!.at(-2)!);
    expectExact(graph, r, m);
  }, 60_000);

  it("an op whose input is summed on a later node goes whole beside that sum: the residual add after a down product K split over nodes 2 and 3 runs on chip 2, not back on chip 0, exact with the interpreter's values", () => {
    // Nodes of one chip; h fills chips 0 and 1, so the heavy product over h takes the next two nodes, its sum on
    // chip 2. The add reads x (chip 0's) and that sum: on chip 2 the sum does not cross back (5,611 -> 4,982 cycles
    // when this was written).
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "1" });
    const text = `model residual
input x: fp16[1, 1600]
param a: fp8[1600, 6400]
param w: fp8[6400, 1600]
h = matmul(x, a)
output y = add(x, matmul(h, w))
`;
    const { graph, r, p } = compileSpread(text, "residual.model", m, 6);
    const [down, add] = r.kernel!.ops.slice(-2);
    expect(p.stageOf.get(down!.id)).toMatchObject({ base: 2, width: 2 });
    expect(p.stageOf.get(add!.id)?.base).toBe(2);
    expectExact(graph, r, m);
  }, 60_000);
});

/** `chip:tile` of every output region named `logits#tJ.r0`, sorted. */
function logitTiles(program: Program): string[] {
  return program.chips
    .flatMap((c) => c.outputs.map((o) => `${c.chip}:${/^logits#t(\d+)\.r0$/.exec(o.name)?.[1]}`))
    .sort();
}

/** Tiles n[c] .. n[c + 1] - 1 on chip base + c, as logitTiles lists them. */
function expectedTiles(base: number, n: readonly number[]): string[] {
  const want: string[] = [];
  for (let c = 0; c + 1 < n.length; c++)
    for (let j = n[c]!; j < n[c + 1]!; j++) want.push(`${base + c}:${j}`);
  return want.sort();
}
