// The fast path's packed rows (simulator/lpu/fast/rows.ts) give back every field the encoders wrote into the columns,
// and refuse a stream group they cannot hold; the lists that grow in a chip's arena keep their numbers when they move
// to the run's (fast/num-list.ts IntList.settle, fast/copy-log.ts ListLog.settle) and the chip's arena is reused.
import { describe, expect, it } from "vitest";
import { Arena, FastCode } from "../../../simulator/lpu/code.ts";
import { ListLog } from "../../../simulator/lpu/fast/copy-log.ts";
import { IntList } from "../../../simulator/lpu/fast/num-list.ts";
import {
  fnOf,
  opOf,
  packRows,
  R_A,
  R_B,
  R_CYCLE,
  R_GROUPS,
  R_LATENCY,
  R_N,
  R_OPS,
  R_SLOTS,
  ROW,
  s0Of,
  s1Of,
  s2Of,
  t0Of,
  t1Of,
} from "../../../simulator/lpu/fast/rows.ts";
import { Rng } from "../../../util/random.ts";

/** A 32-bit integer of either sign, edges included. */
function int32(rng: Rng): number {
  const edges = [0, -1, 1, 0x7fffffff, -0x80000000];
  return rng.next() < 0.2 ? edges[rng.int(0, edges.length)]! : rng.int(-0x80000000, 0x80000000);
}

describe("packed rows", () => {
  it("every field of every row reads back as the columns held it (groups -1..511, bytes 0..255)", () => {
    const rng = new Rng(13);
    const count = 500;
    const c = new FastCode(count);
    for (let j = 0; j < count; j++) {
      c.cycle[j] = rng.next() < 0.3 ? -1 : int32(rng);
      c.n[j] = int32(rng);
      c.slots[j] = int32(rng);
      c.latency[j] = int32(rng);
      c.a[j] = int32(rng);
      c.b[j] = int32(rng);
      c.op[j] = rng.int(0, 256);
      c.t0[j] = rng.int(0, 256);
      c.t1[j] = rng.int(0, 256);
      c.fn[j] = rng.int(0, 256);
      c.s0[j] = rng.int(-1, 512);
      c.s1[j] = rng.int(-1, 512);
      c.s2[j] = rng.int(-1, 512);
    }
    // Packed from row 3 of a larger array: rows of another block before it are left alone.
    const rows = new Int32Array((count + 3) * ROW).fill(7);
    expect(packRows(c, count, rows, 3)).toBe(true);
    expect(Array.from(rows.subarray(0, 3 * ROW))).toEqual(new Array(3 * ROW).fill(7));
    for (let j = 0; j < count; j++) {
      const r = (j + 3) * ROW;
      const got = {
        cycle: rows[r + R_CYCLE],
        n: rows[r + R_N],
        slots: rows[r + R_SLOTS],
        latency: rows[r + R_LATENCY],
        a: rows[r + R_A],
        b: rows[r + R_B],
        op: opOf(rows[r + R_OPS]!),
        t0: t0Of(rows[r + R_OPS]!),
        t1: t1Of(rows[r + R_OPS]!),
        fn: fnOf(rows[r + R_OPS]!),
        s0: s0Of(rows[r + R_GROUPS]!),
        s1: s1Of(rows[r + R_GROUPS]!),
        s2: s2Of(rows[r + R_GROUPS]!),
      };
      expect(got).toEqual({
        cycle: c.cycle[j],
        n: c.n[j],
        slots: c.slots[j],
        latency: c.latency[j],
        a: c.a[j],
        b: c.b[j],
        op: c.op[j],
        t0: c.t0[j],
        t1: c.t1[j],
        fn: c.fn[j],
        s0: c.s0[j],
        s1: c.s1[j],
        s2: c.s2[j],
      });
    }
  });

  it("a stream group beyond 511 (or below -1) does not fit a row: packRows says so", () => {
    for (const [field, value] of [
      ["s0", 512],
      ["s1", 1000],
      ["s2", -2],
    ] as const) {
      const c = new FastCode(2);
      c.s0.fill(-1);
      c.s1.fill(-1);
      c.s2.fill(-1);
      expect(packRows(c, 2, new Int32Array(2 * ROW), 0)).toBe(true);
      c[field][1] = value;
      expect(packRows(c, 2, new Int32Array(2 * ROW), 0), `${field} = ${value}`).toBe(false);
    }
  });
});

describe("lists that move out of a chip's arena", () => {
  it("a link's list grown in a chip's arena keeps its numbers after settling, while the chip's arena is reused", () => {
    const chip = new Arena();
    const run = new Arena();
    const rng = new Rng(5);
    const kept: { list: IntList; want: number[] }[] = [];
    for (let c = 0; c < 6; c++) {
      chip.reset();
      const lists = [new IntList(chip), new IntList(chip)];
      const wants: number[][] = [[], []];
      // Interleaved pushes (two links of one chip), past several doublings.
      for (let i = 0; i < 3000 + 500 * c; i++) {
        const k = rng.int(0, 2);
        const x = rng.int(-0x80000000, 0x80000000);
        lists[k]!.push(x);
        wants[k]!.push(x);
      }
      const at = lists[0]!.reserve(3);
      lists[0]!.data.set([1, 2, 3], at);
      lists[0]!.length = at + 3;
      wants[0]!.push(1, 2, 3);
      for (let k = 0; k < 2; k++) {
        lists[k]!.settle(run);
        kept.push({ list: lists[k]!, want: wants[k]! });
      }
      // The next chip scribbles over the chip arena's memory.
      chip.reset();
      const scribble = new IntList(chip);
      for (let i = 0; i < 20000; i++) scribble.push(-7);
    }
    for (const { list, want } of kept) expect(Array.from(list.data.subarray(0, list.length))).toEqual(want);
  });

  it("a reference's log keeps its diagonals and operations after settling, while the chip's arena is reused", () => {
    const chip = new Arena();
    const run = new Arena();
    const log = new ListLog(0, 3, false, chip);
    const want: number[][] = [];
    for (let k = 0; k < 2001; k++) {
      log.push(k * 3, 1000 - k, k % 17);
      want.push([k * 3, 1000 - k, k % 17]);
    }
    log.settle(run);
    chip.reset();
    const other = new ListLog(0, 3, false, chip);
    for (let k = 0; k < 5000; k++) other.push(-1, -1, -1);
    const got: number[][] = [];
    for (let k = 0; k < log.length; k++) got.push([log.ops[2 * k]!, log.d0s[k]!, log.ops[2 * k + 1]!]);
    expect(got).toEqual(want);
  });
});
