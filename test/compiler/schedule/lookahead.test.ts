// The plane look-ahead's rule (group-starts.ts lookaheadPick): of group starts in priority order, the first whose
// weight load ends within its own first product's array time of the soonest load.
import { describe, expect, it } from "vitest";
import { lookaheadPick } from "../../../compiler/schedule/group-starts.ts";

describe("the plane look-ahead: priority order within one product's time of the soonest load", () => {
  it("keeps the highest-priority start when its load ends less than its product's time after the soonest", () => {
    // A prefill's 64-row fp16 product holds the array 256 cycles: a load 100 cycles later than another's costs less.
    expect(lookaheadPick([1100, 1000, 1050], () => 256)).toBe(0);
  });
  it("takes the soonest load when products are short against loads (a decode's one-row products: 4 cycles)", () => {
    expect(lookaheadPick([1100, 1000, 1050], () => 4)).toBe(1);
  });
  it("takes the first start in priority order among those within the slack, not the soonest of them", () => {
    expect(lookaheadPick([1300, 1040, 1000], () => 64)).toBe(1);
  });
  it("weighs each start by its own product: a long product does not excuse another start's late load", () => {
    // Start 0 has a one-row product (4 cycles), start 1 a 64-row one (256): start 0's load is 60 late, start 1's 10.
    expect(lookaheadPick([1060, 1010, 1000], (c) => (c === 0 ? 4 : 256))).toBe(1);
  });
});
