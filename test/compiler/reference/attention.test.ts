import { describe, expect, it } from "vitest";
import { expectClose, list, runOp, ty, val } from "./graphs.ts";

const LN3 = Math.log(3);

describe("attention", () => {
  it("with one key and no cache, the output is that key's value", () => {
    const [y] = runOp(
      { kind: "attention", causal: true, scale: 1 / Math.sqrt(2) },
      [
        val("fp32", [1, 1, 1, 2], [3, -1]),
        val("fp32", [1, 1, 1, 2], [1, 2]),
        val("fp32", [1, 1, 1, 2], [7, 8]),
      ],
      [ty("fp32", [1, 1, 1, 2])],
    );
    expect(list(y!)).toEqual([7, 8]);
  });

  it("2 cached keys then the new one: scores [0, ln 3, 0] give weights [1/5, 3/5, 1/5]", () => {
    // q = [1, 0]; cached k = [0, 0], [ln 3, 0]; new k = [0, 0]; scale 1 -> scores 0, ln 3, 0.
    // cached v = [1, 0], [0, 1]; new v = [5, 5] -> 0.2 [1,0] + 0.6 [0,1] + 0.2 [5,5] = [1.2, 1.6].
    const [y] = runOp(
      { kind: "attention", causal: true, scale: 1 },
      [
        val("fp32", [1, 1, 1, 2], [1, 0]),
        val("fp32", [1, 1, 1, 2], [0, 0]),
        val("fp32", [1, 1, 1, 2], [5, 5]),
        val("fp32", [1, 2, 1, 2], [0, 0, LN3, 0]),
        val("fp32", [1, 2, 1, 2], [1, 0, 0, 1]),
      ],
      [ty("fp32", [1, 1, 1, 2])],
    );
    expectClose(y!.data, [1.2, 1.6]);
  });

  it("scale multiplies the scores: q.k = 2 with scale ln(3)/2 is a score of ln 3", () => {
    // Keys: cached [0, 0] (score 0) and new [2, 0] (q.k = 2 -> ln 3): weights [1/4, 3/4] on v = [4, 0], [0, 4].
    const [y] = runOp(
      { kind: "attention", causal: true, scale: LN3 / 2 },
      [
        val("fp32", [1, 1, 1, 2], [1, 0]),
        val("fp32", [1, 1, 1, 2], [2, 0]),
        val("fp32", [1, 1, 1, 2], [0, 4]),
        val("fp32", [1, 1, 1, 2], [0, 0]),
        val("fp32", [1, 1, 1, 2], [4, 0]),
      ],
      [ty("fp32", [1, 1, 1, 2])],
    );
    expectClose(y!.data, [1, 3]);
  });

  it("causal: with C = 1 cached and S = 2 new, query 0 (position 1) sees keys 0..1, query 1 sees all 3", () => {
    // q = 0, so every visible key gets the same weight and the output is the mean of the visible values.
    // values: cached 3, new 6, new 12 -> query 0: (3 + 6) / 2 = 4.5; query 1: (3 + 6 + 12) / 3 = 7.
    const operands = [
      val("fp32", [1, 2, 1, 1], [0, 0]),
      val("fp32", [1, 2, 1, 1], [1, 1]),
      val("fp32", [1, 2, 1, 1], [6, 12]),
      val("fp32", [1, 1, 1, 1], [1]),
      val("fp32", [1, 1, 1, 1], [3]),
    ];
    const [causal] = runOp({ kind: "attention", causal: true, scale: 1 }, operands, [
      ty("fp32", [1, 2, 1, 1]),
    ]);
    expectClose(causal!.data, [4.5, 7]);
    const [full] = runOp({ kind: "attention", causal: false, scale: 1 }, operands, [
      ty("fp32", [1, 2, 1, 1]),
    ]);
    expectClose(full!.data, [7, 7]);
  });

  it("grouped-query heads: H = 4 over KVH = 2, query heads 0,1 read kv head 0 and heads 2,3 read kv head 1", () => {
    // One key per kv head, so each query head returns its kv head's value: [1,1] for head 0, [2,2] for head 1.
    const [y] = runOp(
      { kind: "attention", causal: true, scale: 1 },
      [
        val("fp32", [1, 1, 4, 2], [1, 2, 3, 4, 5, 6, 7, 8]),
        val("fp32", [1, 1, 2, 2], [1, 0, 0, 1]),
        val("fp32", [1, 1, 2, 2], [1, 1, 2, 2]),
      ],
      [ty("fp32", [1, 1, 4, 2])],
    );
    expect(list(y!)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it("grouped-query heads weigh their own kv head's keys: two cached keys per kv head, different scores", () => {
    // kv head 0 keys: [0], [ln 3] (q = 1 -> weights 1/4, 3/4 on v 0, 4 -> 3);
    // kv head 1 keys: [ln 3], [0] (weights 3/4, 1/4 on v 0, 4 -> 1). Query heads 0,1 -> 3; heads 2,3 -> 1.
    // The new token's key gets score -inf-like weight by a very negative key (-40 * 1 -> e^-40 ~ 4e-18).
    const [y] = runOp(
      { kind: "attention", causal: true, scale: 1 },
      [
        val("fp32", [1, 1, 4, 1], [1, 1, 1, 1]),
        val("fp32", [1, 1, 2, 1], [-40, -40]),
        val("fp32", [1, 1, 2, 1], [100, 100]),
        val("fp32", [1, 2, 2, 1], [0, LN3, LN3, 0]),
        val("fp32", [1, 2, 2, 1], [0, 0, 4, 4]),
      ],
      [ty("fp32", [1, 1, 4, 1])],
    );
    expectClose(y!.data, [3, 3, 1, 1], 1e-5);
  });

  it("batches are independent: batch 1 attends only to batch 1's cache", () => {
    const [y] = runOp(
      { kind: "attention", causal: true, scale: 1 },
      [
        val("fp32", [2, 1, 1, 1], [0, 0]),
        val("fp32", [2, 1, 1, 1], [0, 0]),
        val("fp32", [2, 1, 1, 1], [10, 20]),
        val("fp32", [2, 1, 1, 1], [0, 0]),
        val("fp32", [2, 1, 1, 1], [0, 40]),
      ],
      [ty("fp32", [2, 1, 1, 1])],
    );
    // batch 0: mean(0, 10) = 5; batch 1: mean(40, 20) = 30.
    expectClose(y!.data, [5, 30]);
  });
});

describe("rope", () => {
  it("position 0 is the identity (every angle is 0)", () => {
    const [y] = runOp(
      { kind: "rope", start: 0, base: 10000 },
      [val("fp32", [1, 1, 1, 4], [1, 2, 3, 4])],
      [ty("fp32", [1, 1, 1, 4])],
    );
    expect(list(y!)).toEqual([1, 2, 3, 4]);
  });

  it("pairs (i, i + Dh/2): where the angle is pi/2, x[1] moves to x[3] (rotate-half, not interleaved)", () => {
    // Dh = 4, pair i = 1 turns by p * base^(-2/4) = p / sqrt(base). With base = 4 / pi^2 and p = 1 that is pi/2:
    // cos = 0, sin = 1, so [0, 1, 0, 0] -> [0, 1 cos - 0 sin, 0, 0 cos + 1 sin] = [0, 0, 0, 1].
    const [y] = runOp(
      { kind: "rope", start: 1, base: 4 / Math.PI ** 2 },
      [val("fp32", [1, 1, 1, 4], [0, 1, 0, 0])],
      [ty("fp32", [1, 1, 1, 4])],
    );
    expectClose(y!.data, [0, 0, 0, 1]);
  });

  it("token s sits at position start + s, and pair 0 turns by the position itself", () => {
    // start = 1, S = 2: tokens at positions 1 and 2. Dh = 2: one pair, angle = p.
    // x = [1, 0] -> [cos p, sin p]: [cos 1, sin 1] then [cos 2, sin 2]. Heads share the angle.
    const [y] = runOp(
      { kind: "rope", start: 1, base: 10000 },
      [val("fp32", [1, 2, 2, 2], [1, 0, 0, 1, 1, 0, 0, 1])],
      [ty("fp32", [1, 2, 2, 2])],
    );
    // Head 1 holds [0, 1] -> [-sin p, cos p].
    const c1 = Math.cos(1);
    const s1 = Math.sin(1);
    const c2 = Math.cos(2);
    const s2 = Math.sin(2);
    expectClose(y!.data, [c1, s1, -s1, c1, c2, s2, -s2, c2]);
  });

  it("the frequency falls with i: with base 4 and Dh = 4, pair 1 turns at half the rate of pair 0", () => {
    // p = 2: pair 0 angle 2, pair 1 angle 2 * 4^(-1/2) = 1. x = [1, 1, 0, 0] -> [cos 2, cos 1, sin 2, sin 1].
    const [y] = runOp(
      { kind: "rope", start: 2, base: 4 },
      [val("fp32", [1, 1, 1, 4], [1, 1, 0, 0])],
      [ty("fp32", [1, 1, 1, 4])],
    );
    expectClose(y!.data, [Math.cos(2), Math.cos(1), Math.sin(2), Math.sin(1)]);
  });
});
