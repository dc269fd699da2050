// End to end: the accumulator rows a plane's MXM groups take (placement-acc.ts `accRows`). A group takes the slots of
// accumulator rows whose last drain ends first, so a plane's next group writes rows the previous group is not
// draining, and its first product need not wait for that drain; a product never overwrites rows before their
// drain. Small prefill-shaped product: 128 rows, 2 K tiles, 10 output tiles, so 20 groups of 64 rows on 4 planes.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { verifyAccOrder } from "../../compiler/schedule/acc-order.ts";
import { scheduledInsts } from "../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../support/exact.ts";

const PREFILL = `model acc_rows
input x: fp16[128, 640]
param w: fp16[640, 3200]
output y = matmul(x, w)
`;

interface Use {
  readonly group: string;
  readonly first: number;
  row0: number;
  n: number;
  drain: number;
  drainEnd: number;
}

describe("accumulator rows per MXM group", () => {
  const graph = loadModel(PREFILL, "test.model").graph!;
  const r = compile(graph, TSP_V1, {
    chips: 1,
    file: "test.model",
    sources: initialSources(graph, 0),
    verifyEach: true,
  });
  // Per plane, in issue order, each group's first product (rows row0 .. row0 + n - 1) and its drain.
  const planes = new Map<number, Use[]>();
  const groupOf = new Map(r.tasks!.tasks.map((t) => [t.id, t.mxmGroup ?? t.id]));
  const uses = new Map<string, Use>();
  for (const x of scheduledInsts(r.schedule!).sort((a, b) => a.cycle - b.cycle)) {
    if (x.queue.kind !== "mxm") continue;
    const group = groupOf.get(x.task)!;
    if (x.inst.op === "abc" && !x.inst.accumulate) {
      const u: Use = {
        group,
        first: x.cycle,
        row0: x.inst.row0 ?? 0,
        n: x.inst.n ?? 1,
        drain: 0,
        drainEnd: 0,
      };
      uses.set(group, u);
      const list = planes.get(x.queue.index) ?? [];
      list.push(u);
      planes.set(x.queue.index, list);
    }
    if (x.inst.op === "acc") {
      const u = uses.get(group)!;
      u.drain = x.cycle;
      u.drainEnd = x.cycle + (x.inst.n ?? 1);
    }
  }

  it("compiles to 20 groups of 64 rows; no hazard, the predicted cycles, the interpreter's outputs", () => {
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(uses.size).toBe(20);
    expectExact(graph, r, TSP_V1);
  });
  it("a plane's next group takes rows other than the previous group's, and starts before that group's drain ends", () => {
    let overlapped = 0;
    for (const list of planes.values())
      for (let k = 1; k < list.length; k++) {
        expect(list[k]!.row0).not.toBe(list[k - 1]!.row0);
        if (list[k]!.first < list[k - 1]!.drainEnd) overlapped++;
      }
    // The overlap the rule exists for: with one set of rows, every first product waited for the drain.
    expect(overlapped).toBeGreaterThan(0);
  });
  it("a product never overwrites rows another group has not drained", () => {
    for (const list of planes.values())
      for (let k = 1; k < list.length; k++)
        for (let j = 0; j < k; j++) {
          const [a, b] = [list[j]!, list[k]!];
          const meet = a.row0 < b.row0 + b.n && b.row0 < a.row0 + a.n;
          if (meet) expect(b.first).toBeGreaterThanOrEqual(a.drainEnd);
        }
  });
  it("verifyAccOrder (run by --verify-each) finds a drain of rows another group's product wrote last", () => {
    expect(verifyAccOrder(r.schedule!, TSP_V1)).toEqual([]);
    // A plane's second group drains the rows its first group wrote (and it did not).
    const q = r.schedule!.queues.find(
      (x) => x.queue.kind === "mxm" && planes.get(x.queue.index)!.length > 1,
    )!;
    const [a, b] = planes.get(q.queue.index)!;
    const insts = scheduledInsts(r.schedule!);
    let at = -1;
    for (let k = 0; k < q.columns.count; k++) {
      const x = insts[q.seq[k]!]!;
      if (x.inst.op === "acc" && x.cycle === b!.drain) at = k;
    }
    expect(at).toBeGreaterThanOrEqual(0);
    q.columns.a[at] = a!.row0;
    expect(verifyAccOrder(r.schedule!, TSP_V1).length).toBeGreaterThan(0);
  });
});
