// One test per HBM timing rule: each drives the channel model with a few hand-placed requests and checks the
// completion times the rule implies.
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import type { GpuPreset } from "../../../arch/gpu/presets.ts";
import { EventQueue } from "../../../simulator/gpu/events.ts";
import { Hbm } from "../../../simulator/gpu/hbm.ts";

function preset(name: string, sets: Record<string, string> = {}): GpuPreset {
  const d = deriveGpu(name, sets);
  if (!d.preset) throw new Error(JSON.stringify(d.diagnostics));
  return d.preset;
}

/** A channel model with refresh phase `phase` (share of tREFI) on every channel, recording completions. */
function channel(p: GpuPreset, phase = 0.5) {
  const q = new EventQueue();
  const done = new Map<number, number>();
  const channels = p.hbm.channels / p.hbm.gang;
  const hbm = new Hbm(p, new Array(channels).fill(phase), q, 0, 0, (owner, t) => done.set(owner, t));
  const drain = () => {
    while (q.pop()) hbm.onFree(q.time, q.b);
  };
  return { hbm, done, drain, row: hbm.shape.rowBytes, banks: hbm.shape.banks };
}

/** Byte address (within a channel) of row `row` of bank `bank`. */
const at = (c: ReturnType<typeof channel>, bank: number, row: number) => (row * c.banks + bank) * c.row;

describe("HBM timing rules", () => {
  it("a row hit costs CL; a row conflict costs RP + RCD + CL", () => {
    const p = preset("h100-sxm");
    const t = p.hbm.timing;
    const c = channel(p);
    c.hbm.submit(100, 0, at(c, 0, 5), 64, 1); // opens row 5 of bank 0
    c.drain();
    c.hbm.submit(300, 0, at(c, 0, 5), 64, 2); // same row: hit
    c.drain();
    c.hbm.submit(500, 0, at(c, 0, 9), 64, 3); // other row, same bank: conflict
    c.drain();
    const hit = c.done.get(2)! - 300;
    const conflict = c.done.get(3)! - 500;
    const miss = c.done.get(1)! - 100;
    expect(miss - hit).toBeCloseTo(t.tRCD, 6);
    expect(conflict - hit).toBeCloseTo(t.tRP + t.tRCD, 6);
  });

  it("per-bank refresh blocks the bank for tRFC", () => {
    const p = preset("h100-sxm");
    const t = p.hbm.timing;
    const c = channel(p, 0);
    // Bank 0 of every channel refreshes in [k * tREFI, k * tREFI + tRFC).
    c.hbm.submit(t.tREFI, 0, at(c, 0, 1), 64, 1); // arrives as the refresh starts
    c.drain();
    c.hbm.submit(2 * t.tREFI + t.tRFC, 0, at(c, 0, 1), 64, 2); // arrives as the next refresh ends (row closed by it)
    c.drain();
    const blocked = c.done.get(1)! - t.tREFI;
    const free = c.done.get(2)! - (2 * t.tREFI + t.tRFC);
    expect(blocked - free).toBeCloseTo(t.tRFC, 6);
  });

  it("all-bank refresh blocks the whole channel for tRFC and closes its rows", () => {
    const p = preset("a100-sxm");
    const t = p.hbm.timing;
    const c = channel(p, 0);
    c.hbm.submit(t.tREFI - 300, 0, at(c, 3, 1), 64, 1); // opens a row just before the refresh
    c.drain();
    c.hbm.submit(t.tREFI, 0, at(c, 3, 1), 64, 2); // same row, but the refresh closed it and holds the channel
    c.drain();
    const latency = c.done.get(2)! - t.tREFI;
    const missLatency = c.done.get(1)! - (t.tREFI - 300);
    expect(latency - missLatency).toBeCloseTo(t.tRFC, 6);
  });

  it("bank-group spacing: two requests in one bank group take tCCD_L per burst, in two groups the bus rate", () => {
    const p = preset("h100-sxm");
    const t = p.hbm.timing;
    const bursts = 16;
    const bytes = bursts * p.hbm.burstBytes * p.hbm.gang;
    const c0 = channel(p);
    const tBurst = c0.hbm.shape.tBurst;
    const pair = (bankB: number) => {
      const c = channel(p);
      c.hbm.submit(100, 0, at(c, 0, 1), bytes, 1);
      c.hbm.submit(100, 0, at(c, bankB, 1), bytes, 2);
      c.drain();
      // From the first data to the last: both requests' bursts.
      const firstData = c.done.get(1)! - bursts * Math.max(tBurst, t.tCCD_L);
      return c.done.get(2)! - firstData;
    };
    const sameGroup = pair(p.hbm.bankGroups); // bank `bankGroups` is in bank group 0, as bank 0 is
    const otherGroup = pair(1);
    expect(sameGroup).toBeCloseTo(2 * bursts * t.tCCD_L, 6);
    // Interleaved across groups: the data bus is the limit (a burst every max(tCCD_S, transfer time)).
    expect(tBurst).toBeGreaterThanOrEqual(t.tCCD_S);
    expect(otherGroup).toBeCloseTo(2 * bursts * tBurst, 6);
    expect(otherGroup).toBeLessThan(sameGroup);
  });

  it("tFAW: the fifth activate in a channel waits until the first plus tFAW", () => {
    const gapOfFifth = (sets: Record<string, string>) => {
      const p = preset("h100-sxm", sets);
      const c = channel(p);
      // Five misses to banks in five different groups, all queued at once.
      for (let i = 0; i < 5; i++) c.hbm.submit(100, 0, at(c, i, 1), 32, i);
      c.drain();
      return c.done.get(4)! - c.done.get(3)!;
    };
    const p = preset("h100-sxm");
    const t = p.hbm.timing;
    // Four activates tRRD_S apart, then the window: the fifth is tFAW after the first.
    expect(gapOfFifth({})).toBeCloseTo(t.tFAW - 3 * t.tRRD_S, 6);
    // With tFAW no longer than four tRRD_S the window never binds.
    expect(gapOfFifth({ t_faw: String(4 * t.tRRD_S) })).toBeCloseTo(t.tRRD_S, 6);
  });

  it("tFAW limits a streaming request to four rows per window", () => {
    const rowsTime = (faw: number) => {
      const p = preset("h100-sxm", { t_faw: String(faw) });
      const c = channel(p);
      c.hbm.submit(100, 0, at(c, 0, 1), 16 * c.row, 1);
      c.drain();
      return c.done.get(1)!;
    };
    // Raising tFAW from 400 to 800 ns adds 16 rows x 100 ns once tFAW / 4 exceeds a row's burst time.
    expect(rowsTime(800) - rowsTime(400)).toBeCloseTo(16 * 100, 6);
  });
});
