// The compiler's constants (kernel-builder.ts LazyConstants): values are computed on first read, once, and only
// for the constants the kernel graph keeps.
import { describe, expect, it } from "vitest";
import { KernelBuilder } from "../../../compiler/passes/kernel-builder.ts";

describe("lazy constants", () => {
  it("a constant's values are computed on its first read, once, and equal what an eager fill would give", () => {
    const k = new KernelBuilder();
    let calls = 0;
    const id = k.constant("t", "fp16", 2, 3, (r, c) => {
      calls++;
      return 10 * r + c;
    });
    expect(calls).toBe(0);
    expect(k.constants.has(id)).toBe(true);
    expect([...k.constants.get(id)!]).toEqual([0, 1, 2, 10, 11, 12]);
    expect(calls).toBe(6);
    k.constants.get(id);
    expect(calls).toBe(6);
  });

  it("subset keeps only the named constants, in id order, still unmade", () => {
    const k = new KernelBuilder();
    let made = 0;
    const value = () => {
      made++;
      return 1;
    };
    const b = k.constant("b", "fp16", 1, 1, value);
    const a = k.constant("a", "fp16", 1, 1, value);
    k.constant("unused", "fp16", 1, 1, value);
    const kept = k.constants.subset(new Set([b, a]));
    expect([...kept.keys()]).toEqual([a, b]);
    expect(made).toBe(0);
    expect([...kept.values()].map((v) => [...v])).toEqual([[1], [1]]);
    expect(made).toBe(2);
  });
});
