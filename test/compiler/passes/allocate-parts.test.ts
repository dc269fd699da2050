// The allocator's data structures on their own: free lists (address order, first fit, partial takes), the
// compressed partner lists, the slice tables' free-list numbering and masks, and the bounded precedence search.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { distinctLists } from "../../../compiler/passes/allocate-facts.ts";
import { type FreeBlock, FreeLists } from "../../../compiler/passes/allocate-free.ts";
import { SliceTables, sliceGroups } from "../../../compiler/passes/allocate-groups.ts";
import { ANCESTOR_LIMIT, Precedence } from "../../../compiler/passes/allocate-precede.ts";
import type { Task } from "../../../compiler/passes/task-ir.ts";
import { uncachedDependencies } from "../../../compiler/schedule/dependencies.ts";

const block = (addr: number, words: number, owner = 0, freed = owner): FreeBlock => ({
  addr,
  words,
  owner,
  tenants: [`t${owner}/0`],
  freed,
});

describe("FreeLists", () => {
  it("keeps each list sorted by address, a block released at a listed address after the one there", () => {
    const f = new FreeLists();
    f.release(3, block(40, 4, 1));
    f.release(3, block(10, 4, 2));
    f.release(3, block(40, 2, 3));
    f.release(3, block(20, 4, 4));
    expect(f.blocks(3).map((b) => [b.addr, b.owner])).toEqual([
      [10, 2],
      [20, 4],
      [40, 1],
      [40, 3],
    ]);
    expect(f.blocks(2)).toEqual([]);
  });

  it("first fit returns the lowest block large enough, asking `accept` about at most `tries` that fit", () => {
    const f = new FreeLists();
    for (const [addr, words, owner] of [
      [0, 2, 1],
      [10, 8, 2],
      [30, 8, 3],
      [50, 8, 4],
    ] as const)
      f.release(0, block(addr, words, owner));
    expect(f.firstFit(0, 4)).toBe(1);
    expect(f.firstFit(0, 9)).toBe(-1);
    const asked: number[] = [];
    const onlyFour = (b: FreeBlock) => {
      asked.push(b.owner);
      return b.owner === 4;
    };
    expect(f.firstFit(0, 4, onlyFour)).toBe(3);
    expect(f.firstFit(0, 4, onlyFour, 2)).toBe(-1);
    expect(asked).toEqual([2, 3, 4, 2, 3]);
  });

  it("oldest fit returns the block freed earliest among those large enough, the lowest on a tie", () => {
    const f = new FreeLists();
    for (const [addr, words, owner, freed] of [
      [0, 2, 1, 0],
      [10, 8, 2, 5],
      [30, 8, 3, 2],
      [50, 8, 4, 2],
      [70, 3, 5, 1],
    ] as const)
      f.release(0, block(addr, words, owner, freed));
    expect(f.oldestFit(0, 4)).toBe(2);
    expect(f.oldestFit(0, 3)).toBe(4);
    expect(f.oldestFit(0, 9)).toBe(-1);
    expect(f.oldestFit(1, 1)).toBe(-1);
  });

  it("a partial take keeps the block's upper words and tenants; an exact take removes it; maxWords follows", () => {
    const f = new FreeLists();
    f.release(1, block(100, 6, 7));
    f.release(1, block(200, 3, 8));
    expect(f.maxWords(1)).toBe(6);
    expect(f.take(1, 0, 4)).toEqual(block(100, 6, 7));
    expect(f.blocks(1)).toEqual([block(104, 2, 7), block(200, 3, 8)]);
    expect(f.maxWords(1)).toBe(3);
    f.take(1, 1, 3);
    expect(f.blocks(1)).toEqual([block(104, 2, 7)]);
    expect(f.maxWords(1)).toBe(2);
    expect(f.maxWords(9)).toBe(0);
  });

  it("first fit agrees with a plain scan of the list after any releases and takes of disjoint space", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 9 })), {
          maxLength: 60,
        }),
        (ops) => {
          // Freed space never overlaps (a word has one tenant at a time): slot k is words [10k, 10k + 10).
          const f = new FreeLists();
          const released = new Set<number>();
          for (const [isRelease, slot, words] of ops) {
            if (isRelease) {
              if (released.has(slot)) continue;
              released.add(slot);
              f.release(0, block(slot * 10, words));
            } else {
              const i = f.firstFit(0, words);
              expect(i).toBe(f.blocks(0).findIndex((b) => b.words >= words));
              if (i >= 0) f.take(0, i, words);
            }
            const addrs = f.blocks(0).map((b) => b.addr);
            expect(addrs).toEqual([...addrs].sort((a, b) => a - b));
            expect(f.maxWords(0)).toBe(Math.max(0, ...f.blocks(0).map((b) => b.words)));
          }
        },
      ),
    );
  });
});

describe("distinctLists", () => {
  it("lists each key's distinct values, whatever the repeats and order of the pairs", () => {
    const { start, of } = distinctLists(4, [2, 0, 2, 2, 3, 0], [1, 3, 1, 0, 2, 3]);
    const list = (k: number) => [...of.slice(start[k]!, start[k + 1]!)].sort();
    expect([list(0), list(1), list(2), list(3)]).toEqual([[3], [], [0, 1], [2]]);
  });
});

describe("SliceTables", () => {
  it("gives every (plane count, slice group) of a chip its own free list, and each group a mask of its slices", () => {
    const tables = new SliceTables(TSP_V1);
    const seen = new Set<number>();
    for (const planes of [1, 2, 4]) {
      const table = tables.of(planes);
      expect(table.groups).toEqual(sliceGroups(TSP_V1, planes));
      table.groups.forEach((g, gi) => {
        seen.add(table.listBase + gi);
        const bits: number[] = [];
        for (let s = 0; s < tables.sliceCount; s++)
          if ((table.mask[gi * tables.maskWords + (s >>> 5)]! >>> (s & 31)) & 1) bits.push(s);
        expect(bits).toEqual(g);
      });
      expect(table.westGroups.length + table.eastGroups.length).toBe(table.groups.length);
    }
    expect(seen.size).toBe(tables.listsPerChip);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(tables.listsPerChip - 1);
  });
});

describe("Precedence", () => {
  const chain = (n: number): Task[] =>
    Array.from(
      { length: n },
      (_, i) => ({ id: `t${i}`, after: i > 0 ? [`t${i - 1}`] : [], steps: [] }) as never,
    );

  it("a freed block is free for a tenant only when every user of the old tensor precedes every writer", () => {
    // Tensor 0 used by t1, t2; tensor 1 written by t4; tensor 2 written by t2 (not after t2 itself).
    const p = new Precedence(uncachedDependencies(chain(6)), [[1, 2], [4], [2]], [[1], [4], [2]]);
    expect(p.freeFor(0, 1)).toBe(true);
    expect(p.freeFor(0, 2)).toBe(false);
    expect(p.freeFor(0, 1)).toBe(true);
  });

  it("the ancestor search stops after ANCESTOR_LIMIT tasks (a user further back is not found)", () => {
    const n = ANCESTOR_LIMIT + 10;
    const p = new Precedence(
      uncachedDependencies(chain(n)),
      [[0], [n - 2], [n - 1]],
      [[0], [n - 2], [n - 1]],
    );
    expect(p.ancestors(n - 1).size).toBe(ANCESTOR_LIMIT);
    expect(p.freeFor(1, 2)).toBe(true);
    expect(p.freeFor(0, 2)).toBe(false);
  });

  it("finds the same ancestors as a breadth-first search that stops after ANCESTOR_LIMIT distinct tasks", () => {
    /** The search as first written: dequeue, skip a task seen before, stop once the limit is seen. */
    const plainSearch = (after: number[][], i0: number): number[] => {
      const seen = new Set<number>();
      const queue = [...after[i0]!];
      for (let q = 0; q < queue.length && seen.size < ANCESTOR_LIMIT; q++) {
        const a = queue[q]!;
        if (seen.has(a)) continue;
        seen.add(a);
        queue.push(...after[a]!);
      }
      return [...seen].sort((x, y) => x - y);
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 700 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, fanIn, seed) => {
          // A random DAG: task i is after up to fanIn earlier tasks (repeats allowed), drawn from a seeded LCG.
          let x = seed;
          const next = () => {
            x = (Math.imul(x, 1103515245) + 12345) >>> 0;
            return x;
          };
          const after = Array.from({ length: n }, (_, i) =>
            i === 0 ? [] : Array.from({ length: 1 + (next() % fanIn) }, () => next() % i),
          );
          const tasks = after.map(
            (a, i) => ({ id: `t${i}`, after: a.map((j) => `t${j}`), steps: [] }) as never,
          );
          const p = new Precedence(uncachedDependencies(tasks), [], []);
          for (const i of [n - 1, n >> 1, 1])
            expect([...p.ancestors(i)].sort((a, b) => a - b)).toEqual(plainSearch(after, i));
        },
      ),
      { numRuns: 60 },
    );
  });
});
