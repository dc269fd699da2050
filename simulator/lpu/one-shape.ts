// The program's instruction columns as the simulator reads them: every list in one object shape. In: InstColumns as
// a program gives them (the compiler, the JSON reader, the assembler, or a queue of objects converted). Out: the same
// arrays and tables (not copied) in an object of one class, with `wide` and `spans` always present (undefined when
// absent).
//
// Why: arch/columns-layout.ts builds each list by spreading, adding `wide` and `spans` only when there are some, and
// V8 gives such objects many shapes (a stamped llama2-70b's lists came in 61: each group of lists with a `wide`
// table its own). The fast path's per-instruction check and encoding (encode-checked.ts) then read every column
// through V8's lookup for many shapes, and the first list of a new shape sent it back to the interpreter.
import type { InstColumns } from "../../arch/isa.ts";
import type { Span } from "../../util/diagnostics.ts";

export class SimColumns implements InstColumns {
  readonly count: number;
  readonly op: Uint8Array;
  readonly flags: Uint8Array;
  readonly cycle: Int32Array;
  readonly n: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly s0: Int32Array;
  readonly s1: Int32Array;
  readonly s2: Int32Array;
  readonly t0: Uint8Array;
  readonly t1: Uint8Array;
  readonly fn: Uint8Array;
  readonly note: Int32Array;
  readonly strings: readonly string[];
  readonly notes: readonly string[];
  readonly wide: ReadonlyMap<number, number> | undefined;
  readonly spans: ReadonlyMap<number, Span> | undefined;
  constructor(c: InstColumns) {
    this.count = c.count;
    this.op = c.op;
    this.flags = c.flags;
    this.cycle = c.cycle;
    this.n = c.n;
    this.a = c.a;
    this.b = c.b;
    this.s0 = c.s0;
    this.s1 = c.s1;
    this.s2 = c.s2;
    this.t0 = c.t0;
    this.t1 = c.t1;
    this.fn = c.fn;
    this.note = c.note;
    this.strings = c.strings;
    this.notes = c.notes;
    this.wide = c.wide;
    this.spans = c.spans;
  }
}
