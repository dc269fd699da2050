// End to end: row-wise ops in 64-row tasks (tile-context.ts taskRows), each after the writers of its own rows only,
// also when its rows come over a link from another pipeline stage (stages.ts), with the scheduler's readiness per
// 64-row piece (schedule/row-pieces.ts): hazard-free, cycle-exact, the interpreter's values.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExact } from "../support/exact.ts";

const CHAIN = `model chain
const rows = 150
input x: fp16[rows, 640]
param w1: fp16[640, 640]
param w2: fp16[640, 320]
param g: fp16[640]
param b: fp16[640]
output y = matmul(layernorm(relu(matmul(x, w1)), g, b, eps=1e-5), w2)
`;

describe("row chunks across a pipeline stage", () => {
  it("a 150-row chain on 2 chips (one stage each): the second stage's first rows wait for their own link pieces only; no hazard, cycle-exact, values match", () => {
    const graph = loadModel(CHAIN, "test.model", {}).graph!;
    const r = compile(graph, TSP_V1, {
      chips: 2,
      file: "test.model",
      sources: initialSources(graph, 0),
      partition: "pipeline",
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.report!.chips).toBe(2);
    const tasks = r.tasks!.tasks;
    const recvs = tasks.filter((t) => t.steps.some((s) => s.kind === "recv"));
    expect(recvs.length).toBeGreaterThan(0);
    // Every task on chip 1 that reads a received tensor waits only for the recvs of rows it reads.
    const rowsOf = new Map(
      recvs.map((t) => {
        const w = t.steps.find((s) => s.kind === "write")!;
        if (w.kind !== "write") throw new Error("recv without write");
        return [t.id, [w.ref.tensor, w.ref.tile, w.ref.row, w.ref.row + w.ref.n] as const];
      }),
    );
    let readers = 0;
    for (const t of tasks)
      for (const a of t.after) {
        const got = rowsOf.get(a);
        if (!got) continue;
        readers++;
        const meets = t.steps.some(
          (s) =>
            s.kind === "read" &&
            s.ref.tensor === got[0] &&
            s.ref.tile === got[1] &&
            s.ref.row < got[3] &&
            got[2] < s.ref.row + (s.ref.stride === 0 ? 1 : s.ref.n),
        );
        expect({ task: t.id, after: a, meets }).toEqual({ task: t.id, after: a, meets: true });
      }
    expect(readers).toBeGreaterThan(0);
    expectExact(graph, r, TSP_V1);
  });
});
