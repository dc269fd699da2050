import { describe, expect, it } from "vitest";
import { IntervalSet, StreamTable } from "../../../compiler/schedule/resources.ts";

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
