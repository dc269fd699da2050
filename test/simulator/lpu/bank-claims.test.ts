// The fast path's bank-port intervals (simulator/lpu/fast/bank-claims.ts) against a per-cycle oracle: the rule is
// that no cycle of a bank is used by both its ports (reads and writes). Claims come as the fast path makes them: per
// bank, issue cycles never decrease, each interval starts at or after its issue, and a port's own intervals follow
// each other without overlap. Random claims drive the flat lists through their first room, moves to the top of the
// array and compaction; the claim must fail exactly when the oracle finds a shared cycle, and reset() must forget.
import { describe, expect, it } from "vitest";
import { Bail } from "../../../simulator/lpu/fast/bail.ts";
import { BankClaims } from "../../../simulator/lpu/fast/bank-claims.ts";
import { Rng } from "../../../util/random.ts";

const BANKS = 6;

/** Per bank and port, every cycle claimed. */
class Oracle {
  private readonly used = Array.from({ length: 2 * BANKS }, () => new Set<number>());
  /** Whether [from, until) on `port` of bank b shares a cycle with the other port; else it is recorded. */
  claim(b: number, port: number, from: number, until: number): boolean {
    const other = this.used[2 * b + 1 - port]!;
    for (let c = from; c < until; c++) if (other.has(c)) return false;
    const mine = this.used[2 * b + port]!;
    for (let c = from; c < until; c++) mine.add(c);
    return true;
  }
}

interface Claim {
  readonly b: number;
  readonly port: number;
  readonly from: number;
  readonly until: number;
  readonly t: number;
}

/** Random claims that keep the fast path's order: per bank a non-decreasing issue cycle, per port no overlap. */
function claims(rng: Rng, count: number, spread: number): Claim[] {
  const t = new Array<number>(BANKS).fill(0);
  const portEnd = new Array<number>(2 * BANKS).fill(0);
  const out: Claim[] = [];
  for (let i = 0; i < count; i++) {
    const b = rng.int(0, BANKS);
    const port = rng.int(0, 2);
    // Often the same issue cycle again (a multi-bank access, or many vectors queued ahead): the port's list grows.
    if (rng.int(0, 3) === 0) t[b]! += rng.int(0, spread);
    // Mostly after the other port's last interval too (no shared cycle); now and then anywhere after its issue.
    const after = rng.int(0, 40) === 0 ? 0 : portEnd[2 * b + 1 - port]!;
    const from = Math.max(t[b]!, portEnd[2 * b + port]!, after) + rng.int(0, 3);
    const until = from + 1 + rng.int(0, spread);
    portEnd[2 * b + port] = until;
    out.push({ b, port, from, until, t: t[b]! });
  }
  return out;
}

/** Runs the claims until the first conflict; returns how many passed and whether the last one failed. */
function run(bc: BankClaims, list: readonly Claim[]): { passed: number; failed: boolean } {
  let passed = 0;
  for (const c of list) {
    try {
      bc.claim(2 * c.b, c.port, c.from, c.until, c.t);
    } catch (e) {
      if (e instanceof Bail) return { passed, failed: true };
      throw e;
    }
    passed++;
  }
  return { passed, failed: false };
}

function expected(list: readonly Claim[]): { passed: number; failed: boolean } {
  const oracle = new Oracle();
  let passed = 0;
  for (const c of list) {
    if (!oracle.claim(c.b, c.port, c.from, c.until)) return { passed, failed: true };
    passed++;
  }
  return { passed, failed: false };
}

describe("fast path bank claims (bank-claims.ts)", () => {
  it("fails exactly at the first cycle both ports of a bank would use, through growth and compaction", () => {
    const rng = new Rng(7);
    let failures = 0;
    let longest = 0;
    const bc = new BankClaims(2 * BANKS);
    for (let trial = 0; trial < 400; trial++) {
      const list = claims(rng, 20 + rng.int(0, 200), 1 + rng.int(0, 12));
      bc.reset();
      const got = run(bc, list);
      expect(got).toEqual(expected(list));
      if (got.failed) failures++;
      longest = Math.max(longest, got.passed);
    }
    // Both outcomes occur, and some runs are long enough to outgrow the first room of a list.
    expect(failures).toBeGreaterThan(20);
    expect(failures).toBeLessThan(400);
    expect(longest).toBeGreaterThan(100);
  });

  it("keeps many live intervals of one port (moves to the top) and reset() forgets them", () => {
    const bc = new BankClaims(2 * BANKS);
    // Forty reads issued at cycle 0, vector after vector on bank 3: forty live intervals on its read port.
    for (let i = 0; i < 40; i++) bc.claim(6, 0, i, i + 1, 0);
    // A write at a cycle one of them uses fails; one after all of them passes.
    expect(() => bc.claim(6, 1, 25, 26, 0)).toThrow(Bail);
    bc.reset();
    for (let i = 0; i < 40; i++) bc.claim(6, 0, i, i + 1, 0);
    expect(() => bc.claim(6, 1, 40, 42, 0)).not.toThrow();
    expect(() => bc.claim(6, 0, 41, 42, 0)).toThrow(Bail);
    // After a reset the bank is free again: the write that failed passes.
    bc.reset();
    expect(() => bc.claim(6, 1, 25, 26, 0)).not.toThrow();
  });
});
