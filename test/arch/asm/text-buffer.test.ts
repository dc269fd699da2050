// TextBuffer (text-buffer.ts), what the printer writes programs with: its bytes are the UTF-8 of the same strings
// and of String(n) for every number, joined, however it grows and is taken in pieces.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TextBuffer } from "../../../arch/asm/text-buffer.ts";

const part = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => ({ s })),
  fc
    .oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), fc.constantFrom(-0, 2 ** 53, -(2 ** 60), 1e21))
    .map((n) => ({ n })),
);

describe("TextBuffer", () => {
  it("writes strings (ASCII or not) and numbers as their UTF-8 text joined, across growths and takes", () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 80 }), fc.integer({ min: 1, max: 64 }), (parts, capacity) => {
        const w = new TextBuffer(capacity);
        const pieces: Uint8Array[] = [];
        let expected = "";
        for (const [k, p] of parts.entries()) {
          if ("s" in p) w.str(p.s);
          else w.num(p.n);
          expected += "s" in p ? p.s : String(p.n);
          if (k % 7 === 6) pieces.push(w.take().slice());
        }
        pieces.push(w.take().slice());
        expect(w.length).toBe(0);
        expect(Buffer.concat(pieces).toString("utf8")).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
