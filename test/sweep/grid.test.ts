import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Block,
  combinations,
  inShard,
  paramColumns,
  parseIntList,
  parseList,
  parseShard,
} from "../../compiler/sweep/grid.ts";
import { UserError } from "../../util/diagnostics.ts";

const lpuAndGpu: Block[] = [
  {
    target: "lpu",
    axes: [
      { name: "chips", values: ["64", "128"] },
      { name: "arch.sram_mib", values: ["220", "440", "880"] },
    ],
  },
  { target: "gpu", axes: [{ name: "gpus", values: ["1", "8"] }] },
];

describe("combinations", () => {
  it("numbers every combination, blocks in order, the first axis varying slowest", () => {
    const cs = combinations(lpuAndGpu);
    expect(cs.map((c) => [c.index, c.target, Object.values(c.params).join("/")])).toEqual([
      [0, "lpu", "64/220"],
      [1, "lpu", "64/440"],
      [2, "lpu", "64/880"],
      [3, "lpu", "128/220"],
      [4, "lpu", "128/440"],
      [5, "lpu", "128/880"],
      [6, "gpu", "1"],
      [7, "gpu", "8"],
    ]);
  });
  it("gives a block with no axes exactly one combination", () => {
    expect(combinations([{ target: "lpu", axes: [] }])).toEqual([{ index: 0, target: "lpu", params: {} }]);
  });
  it("lists parameter columns in first-appearance order without repeats", () => {
    const blocks: Block[] = [
      {
        target: "a",
        axes: [
          { name: "x", values: ["1"] },
          { name: "set.layers", values: ["1"] },
        ],
      },
      {
        target: "b",
        axes: [
          { name: "y", values: ["1"] },
          { name: "set.layers", values: ["1"] },
        ],
      },
    ];
    expect(paramColumns(blocks)).toEqual(["x", "set.layers", "y"]);
  });
});

describe("list and shard flags", () => {
  it("rejects empty items, repeated values and non-positive counts, naming the flag", () => {
    expect(parseList("--gpu", " h100-sxm , a100-sxm")).toEqual(["h100-sxm", "a100-sxm"]);
    expect(() => parseList("--chips", "64,,128")).toThrow(/--chips takes a comma-separated list/);
    expect(() => parseList("--chips", "64,64")).toThrow(/--chips lists '64' twice/);
    expect(() => parseIntList("--gpus", "1,0")).toThrow(/--gpus takes positive whole numbers, got '0'/);
    expect(() => parseIntList("--gpus", "2.5")).toThrow(UserError);
  });
  it("reads --shard as 1-based I/N and refuses I outside 1..N", () => {
    expect(parseShard("3/8")).toEqual({ index: 3, count: 8 });
    for (const bad of ["0/4", "5/4", "1/0", "2", "a/b", "-1/3"])
      expect(() => parseShard(bad), bad).toThrow(/--shard takes I\/N/);
  });
});

describe("sharding", () => {
  it("puts every combination in exactly one of N shards, and shard sizes differ by at most one", () => {
    const axis = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.array(axis, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 12 }),
        (lens, n) => {
          const blocks: Block[] = lens.map((axes, b) => ({
            target: `t${b}`,
            axes: axes.map((len, a) => ({
              name: `a${a}`,
              values: Array.from({ length: len }, (_, v) => `${v}`),
            })),
          }));
          const all = combinations(blocks);
          const seen = new Map<number, number>();
          const sizes: number[] = [];
          for (let i = 1; i <= n; i++) {
            const mine = inShard(all, { index: i, count: n });
            sizes.push(mine.length);
            for (const c of mine) seen.set(c.index, (seen.get(c.index) ?? 0) + 1);
          }
          expect(seen.size).toBe(all.length);
          expect([...seen.values()].every((k) => k === 1)).toBe(true);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("deals combinations round-robin: shard I holds the indices congruent to I-1 mod N", () => {
    const all = combinations(lpuAndGpu);
    expect(inShard(all, { index: 2, count: 3 }).map((c) => c.index)).toEqual([1, 4, 7]);
  });
});
