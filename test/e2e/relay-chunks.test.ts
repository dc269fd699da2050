// End to end: a transfer between two chips of a node goes in row chunks, and where the chips offered include chips
// of that node the partition leaves idle, chunks take two-hop routes through them when that arrives sooner than
// the direct link's queue (stages.ts `relaysOf`, `spreadMove`): bert-base's layer 7 output, 24 chunks of 32 words,
// took 14,760 cycles on its one link. A tile of one chunk (a decode step) stays on its link. Hazard-free,
// cycle-exact, the interpreter's values.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../arch/derive.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExact } from "../support/exact.ts";

/** 480 words per MEM slice: the packing takes 3 chips of a node and leaves the rest idle. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "480" });
const model = (rows: number) => `model two
input x: fp16[${rows}, 1280]
param w1: fp16[1280, 2560]
param w2: fp16[2560, 640]
output o = matmul(relu(matmul(x, w1)), w2)
`;

function build(rows: number, chips: number) {
  const graph = loadModel(model(rows), "test.model", {}).graph!;
  const r = compile(graph, SMALL, {
    chips,
    file: "test.model",
    sources: initialSources(graph, 0),
    partition: "pack",
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { graph, r };
}

/** The chips running any task other than a link move. */
function workChips(r: ReturnType<typeof compile>): Set<number> {
  return new Set(r.tasks!.tasks.filter((t) => !t.op.startsWith("move.")).map((t) => t.chip));
}

describe("a transfer's row chunks relayed through a node's idle chips", () => {
  it("64 rows on a packing of a few chips, 8 offered: idle chips of the node relay chunks (two hops each), fewer cycles than with only the packing's chips offered; no hazard, cycle-exact, values match", () => {
    const alone = build(64, 8);
    const packing = alone.r.minChips!;
    expect(packing).toBeLessThan(8);
    const work = workChips(alone.r);
    const relays = new Set(alone.r.tasks!.tasks.map((t) => t.chip).filter((c) => !work.has(c)));
    expect(relays.size).toBeGreaterThan(0);
    for (const c of relays) expect(c).toBeLessThan(8);
    // Every chunk a relay chip receives it sends on, to the chip it was going to.
    const onRelays = alone.r.tasks!.tasks.filter((t) => relays.has(t.chip));
    const recvs = onRelays.filter((t) => t.steps.some((s) => s.kind === "recv"));
    const sends = onRelays.filter((t) => t.steps.some((s) => s.kind === "send"));
    expect(recvs.length).toBeGreaterThan(0);
    expect(sends.length).toBe(recvs.length);
    for (const s of sends) expect(s.after.length).toBe(1);
    const direct = build(64, packing);
    expect(direct.r.report!.chips).toBe(packing);
    expect(alone.r.report!.cycles).toBeLessThan(direct.r.report!.cycles);
    expectExact(alone.graph, alone.r, SMALL);
  });

  it("one row (a tile of one chunk) stays on its link: no relay chip, with 8 chips offered", () => {
    const { graph, r } = build(1, 8);
    expect(r.report!.chips).toBe(r.minChips);
    expectExact(graph, r, SMALL);
  });
});
