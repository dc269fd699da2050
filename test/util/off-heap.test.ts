import { describe, expect, it } from "vitest";
import { ColumnsBuilder } from "../../arch/columns-build.ts";
import { Int32Slab } from "../../compiler/schedule/resources.ts";
import { offHeapBuffer, offHeapInt32, offHeapUint8 } from "../../util/off-heap.ts";

// The rule (util/off-heap.ts): the schedule's large typed arrays live on SharedArrayBuffers, which V8 does not
// count towards the external memory whose growth starts full collections; they are zeroed like ArrayBuffers.
describe("off-heap buffers", () => {
  it("are zeroed shared buffers of the asked size", () => {
    expect(offHeapBuffer(24)).toBeInstanceOf(SharedArrayBuffer);
    const a = offHeapInt32(1000);
    const b = offHeapUint8(1000);
    expect([a.length, b.length]).toEqual([1000, 1000]);
    expect(a.every((x) => x === 0) && b.every((x) => x === 0)).toBe(true);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("back the reservation tables' slab arrays, small and large", () => {
    const slab = new Int32Slab();
    for (const n of [64, 1 << 20]) expect(slab.take(n).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("back the instruction columns a builder hands out", () => {
    const b = new ColumnsBuilder(4);
    for (let k = 0; k < 20; k++) b.add({ op: "nop", cycles: k + 1 }, k);
    expect(b.finish().cycle.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
