import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Instance } from "../../../compiler/schedule/geometry.ts";
import { Reserver } from "../../../compiler/schedule/reserve.ts";
import { Int32Slab, IntervalSet, ResBuffer, StreamTable } from "../../../compiler/schedule/resources.ts";

describe("IntervalSet", () => {
  it("a free request has conflict 0; an overlapping one must move past the interval it hits", () => {
    const s = new IntervalSet();
    s.add(10, 20);
    s.add(30, 35);
    expect(s.conflict(0, 10)).toBe(0);
    expect(s.conflict(20, 30)).toBe(0);
    expect(s.conflict(15, 16)).toBe(5);
    expect(s.conflict(5, 12)).toBe(15);
    expect(s.conflict(25, 31)).toBe(10);
  });
  it("adding an overlapping interval is an internal error", () => {
    const s = new IntervalSet();
    s.add(0, 4);
    expect(() => s.add(3, 5)).toThrow(/overlaps/);
  });
});

describe("StreamTable", () => {
  it("two runs on one stream conflict only where both wavefronts and positions overlap", () => {
    const t = new StreamTable();
    t.add(100, 110, 5, 20); // wavefronts 100..109 between positions 5 and 20
    expect(t.conflict(110, 120, 5, 20)).toBe(0); // later wavefronts
    expect(t.conflict(100, 110, 21, 40)).toBe(0); // same wavefronts, disjoint positions
    expect(t.conflict(105, 106, 0, 5)).toBe(5); // touches position 5 at wavefront 105: must move to 110
  });
});

// The tables search from their end (the clock moves forward): every answer must still be the one a scan of every
// entry gives, wherever the request falls.
describe("table searches from the end", () => {
  it("IntervalSet.conflict is the end of the first interval the request overlaps, minus its start, as a scan finds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 9 })), {
          maxLength: 60,
        }),
        fc.array(fc.tuple(fc.integer({ min: -20, max: 450 }), fc.integer({ min: 1, max: 30 })), {
          maxLength: 30,
        }),
        (adds, queries) => {
          const set = new IntervalSet();
          const kept: [number, number][] = [];
          for (const [s, len] of adds)
            if (!kept.some(([a, b]) => a < s + len && s < b)) {
              set.add(s, s + len);
              kept.push([s, s + len]);
            }
          kept.sort((x, y) => x[0] - y[0]);
          for (const [s, len] of queries) {
            const hit = kept.find(([a, b]) => a < s + len && s < b);
            expect(set.conflict(s, s + len)).toBe(hit ? hit[1] - s : 0);
          }
        },
      ),
    );
  });

  it("StreamTable.conflict is the largest overlap over every rectangle, as a scan finds", () => {
    const rect = fc.tuple(
      fc.integer({ min: -50, max: 400 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 8 }),
    );
    fc.assert(
      fc.property(fc.array(rect, { maxLength: 60 }), fc.array(rect, { maxLength: 30 }), (adds, queries) => {
        const table = new StreamTable();
        for (const [w0, n, lo, span] of adds) table.add(w0, w0 + n, lo, lo + span);
        for (const [w0, n, lo, span] of queries) {
          let need = 0;
          for (const [a, an, alo, aspan] of adds)
            if (a + an > w0 && a < w0 + n && alo <= lo + span && lo <= alo + aspan)
              need = Math.max(need, a + an - w0);
          expect(table.conflict(w0, w0 + n, lo, lo + span)).toBe(need);
        }
      }),
    );
  });
});

// The scheduler's tables share one slab (resources.ts Int32Slab): an array a table outgrows goes to the next table
// that grows to its length. Sharing must not change any answer.
describe("tables on one slab", () => {
  it("tables growing in turn on one slab hold and answer what tables of their own do", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 4 })), {
          minLength: 450,
          maxLength: 900,
        }),
        (adds) => {
          const slab = new Int32Slab();
          const shared = [0, 1, 2].map(() => new IntervalSet(slab));
          const own = [0, 1, 2].map(() => new IntervalSet());
          const sharedStreams = [0, 1, 2].map(() => new StreamTable(slab));
          const ownStreams = [0, 1, 2].map(() => new StreamTable());
          const end = [0, 0, 0];
          for (const [table, len] of adds) {
            const k = table % 3;
            // Appended at the end (as the clock moves) and, every other time, one wavefront back on a stream.
            if (table < 3) {
              shared[k]!.add(end[k]!, end[k]! + len);
              own[k]!.add(end[k]!, end[k]! + len);
              end[k]! += len + 1;
            } else {
              sharedStreams[k]!.add(end[k]! - len, end[k]!, len, len + 3);
              ownStreams[k]!.add(end[k]! - len, end[k]!, len, len + 3);
            }
          }
          // Tables made now take the arrays the others outgrew, entries and all: they must start empty.
          const fresh = new IntervalSet(slab);
          const freshStream = new StreamTable(slab);
          expect([
            fresh.intervals(),
            fresh.conflict(0, 10 ** 6),
            freshStream.conflict(-(10 ** 6), 10 ** 6, 0, 99),
          ]).toEqual([[], 0, 0]);
          fresh.add(5, 9);
          freshStream.add(5, 9, 1, 2);
          expect([fresh.intervals(), fresh.conflict(0, 6), freshStream.conflict(0, 6, 0, 1)]).toEqual([
            [[5, 9]],
            9,
            9,
          ]);
          for (let k = 0; k < 3; k++) {
            expect(shared[k]!.intervals()).toEqual(own[k]!.intervals());
            for (let s = 0; s < end[k]!; s += 7) {
              expect(shared[k]!.conflict(s, s + 3)).toBe(own[k]!.conflict(s, s + 3));
              expect(sharedStreams[k]!.conflict(s, s + 3, 2, 4)).toBe(
                ownStreams[k]!.conflict(s, s + 3, 2, 4),
              );
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("bank ports", () => {
  it("a MEM step holds one entry per run of its words in one bank, as a word-by-word walk finds them", () => {
    const m = TSP_V1;
    const size = m.mem.wordsPerSlice / m.mem.banksPerSlice;
    const reserver = new Reserver(m, 1, new Map());
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: m.mem.wordsPerSlice - 1 }),
        fc.integer({ min: 1, max: 3 * size }),
        fc.constantFrom(0, 1),
        fc.constantFrom(1, 1, 4),
        (addr, wanted, stride, spacing) => {
          const n = stride === 0 ? wanted : Math.min(wanted, m.mem.wordsPerSlice - addr);
          const timing = { busy: n, resource: "read", inOffset: 0, inSpacing: 1, outOffset: 0, n } as const;
          const inst: Instance = {
            step: 0,
            byte: 0,
            unit: "mem",
            index: 3,
            pos: 0,
            timing,
            rel: 2,
            spacing,
            addr,
            stride,
          };
          const buf = new ResBuffer();
          reserver.banks(buf, inst, 0, 100);
          const got: [number, number, number][] = [];
          for (let r = 0; r < buf.length; r++) got.push([buf.key[r]!, buf.a[r]!, buf.b[r]!]);
          const want: [number, number, number][] = [];
          for (let k = 0; k < n; k++) {
            const key = 3 * m.mem.banksPerSlice + Math.floor((addr + k * stride) / size);
            const at = 102 + k * spacing;
            const last = want[want.length - 1];
            if (spacing === 1 && last && last[0] === key && last[2] === at) last[2] = at + 1;
            else want.push([key, at, at + 1]);
          }
          expect(got).toEqual(want);
        },
      ),
    );
  });
});

// Int32Slab carves arrays up to 1 MB from slabs of one size (4 MB) and gives a larger array a buffer of its own:
// V8 starts a full collection for each 64 MB of new array buffers, counted whole however little of a slab is used,
// so the buffers it allocates are what the tables take plus at most one slab.
describe("Int32Slab's slabs", () => {
  it("arrays of every length share few buffers, no larger in all than the arrays and one slab, and a given-back one is taken again", () => {
    const slab = new Int32Slab();
    const lengths = [64, 256, 1024, 4096, 16384, 65536, 262144, 64, 1 << 20, 262144, 262144, 262144];
    const arrays = lengths.map((n) => slab.take(n));
    for (const [k, a] of arrays.entries()) expect(a.length).toBe(lengths[k]);
    const buffers = new Set(arrays.map((a) => a.buffer));
    // The arrays of 1 MB or less in two slabs of 4 MB; the 4 MB array in a buffer of its own.
    expect(buffers.size).toBeLessThanOrEqual(3);
    const allocated = [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
    const taken = arrays.reduce((sum, a) => sum + a.byteLength, 0);
    expect(allocated).toBeLessThanOrEqual(taken + (4 << 20));
    // Views never overlap: writing each array's length into it leaves every other array's as written.
    for (const [k, a] of arrays.entries()) a.fill(k);
    for (const [k, a] of arrays.entries()) expect(a.every((v) => v === k)).toBe(true);
    const [carved, own] = [arrays[6]!, arrays[8]!];
    slab.give(carved);
    expect(slab.take(262144)).toBe(carved);
    slab.give(own);
    expect(slab.take(1 << 20)).toBe(own);
  });
});
