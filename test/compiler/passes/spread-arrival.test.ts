// Column shares by arrival (compiler/passes/spread-arrival.ts): an output left in place split over chips its input
// reaches at different times gives the later chips fewer tiles, a chip holding other ops keeps its even share, and
// a split whose chips all see the input at once stays even.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { KOp, KTensor } from "../../../compiler/passes/kernel-ir.ts";
import type { PackContext } from "../../../compiler/passes/pack.ts";
import { spreadTiming } from "../../../compiler/passes/partition.ts";
import { arrivalBounds } from "../../../compiler/passes/spread-arrival.ts";

const op: Extract<KOp, { kind: "matmul" }> = { kind: "matmul", id: "lm", a: "x", b: "w", out: "y" };
const tensors = new Map<string, KTensor>([
  ["x", { id: "x", dtype: "fp16", rows: 1, cols: 4096, role: "temp" } as unknown as KTensor],
  ["w", { id: "w", dtype: "fp16", rows: 320 * 100, cols: 4096, role: "param" } as unknown as KTensor],
]);
const ctx = { tensors, lanes: 320 } as unknown as PackContext;
const t = spreadTiming(TSP_V1);
const even = (w: number) => Array.from({ length: w + 1 }, (_, c) => Math.floor((c * 100) / w));
const shares = (b: readonly number[]) => b.slice(1).map((x, c) => x - b[c]!);

describe("arrivalBounds", () => {
  it("gives a chip reached later no more tiles than one reached sooner, and every tile once", () => {
    // Four tiers of chips, 0..3 hops from the input, none holding other ops: llama3-8b's lm head, in small.
    const hops = [0, 1, 1, 1, 2, 2, 2, 3];
    const b = arrivalBounds(
      ctx,
      t,
      op,
      hops,
      even(8),
      hops.map(() => false),
    )!;
    expect(b).toBeDefined();
    expect(b[0]).toBe(0);
    expect(b[b.length - 1]).toBe(100);
    const s = shares(b);
    expect(s.every((n) => n >= 1)).toBe(true);
    for (let c = 1; c < s.length; c++)
      if (hops[c]! > hops[c - 1]!) expect(s[c]!).toBeLessThanOrEqual(s[c - 1]!);
    expect(s[7]!).toBeLessThan(s[0]!);
  });

  it("keeps a busy chip's even share", () => {
    const hops = [0, 1, 1, 1, 2, 2, 2, 3];
    const busy = hops.map((_, c) => c < 4);
    const b = arrivalBounds(ctx, t, op, hops, even(8), busy)!;
    const s = shares(b);
    const e = shares(even(8));
    for (let c = 0; c < 4; c++) expect(s[c]!).toBeLessThanOrEqual(e[c]!);
  });

  it("stays even when every chip is as far", () => {
    const hops = [1, 1, 1, 1];
    expect(
      arrivalBounds(
        ctx,
        t,
        op,
        hops,
        even(4),
        hops.map(() => false),
      ),
    ).toBeUndefined();
  });
});
