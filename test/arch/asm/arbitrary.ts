// fast-check generators of random, well-formed Programs in the printer's canonical order (chips by number, queues
// in the fixed kind order, data by slice and address, outputs by name), for round-trip property tests.
import fc from "fast-check";
import {
  ELEM_TYPES,
  MXM_ACC_TYPES,
  MXM_IN_TYPES,
  SXM_OPS,
  UNIT_KINDS,
  unitOf,
  VXM_BINARY,
  VXM_UNARY,
} from "../../../arch/asm/names.ts";
import type {
  ChipProgram,
  DataInit,
  ElemType,
  Instruction,
  Placed,
  Program,
  QueueRef,
  StreamRef,
} from "../../../arch/isa.ts";
import { ELEM_BYTES } from "../../../arch/isa.ts";

const name = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,6}$/)
  .filter((s) => !["inf", "nan"].includes(s) && !/^(inf|nan)/.test(s));
const anyLabel = fc.oneof(
  name,
  fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes("\n")),
);
const count = fc.integer({ min: 1, max: 400 });
const int0 = fc.integer({ min: 0, max: 9000 });

function stream(bytes: number): fc.Arbitrary<StreamRef> {
  return fc.record({
    id: fc.integer({ min: 0, max: 32 - bytes }),
    dir: fc.constantFrom<"e" | "w">("e", "w"),
  });
}
const type = fc.constantFrom(...ELEM_TYPES);
const typed = <T>(f: (t: ElemType, s: fc.Arbitrary<StreamRef>) => fc.Arbitrary<T>) =>
  type.chain((t) => f(t, stream(ELEM_BYTES[t])));

const instruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ op: fc.constant("nop" as const), cycles: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ op: fc.constantFrom("sync" as const, "notify" as const), token: anyLabel }),
  fc.record({ op: fc.constantFrom("deskew" as const, "iw" as const) }),
  // A repeated deskew (n = 1 is left out of the canonical form, as the parser leaves it out).
  fc.record({
    op: fc.constant("deskew" as const),
    n: fc.integer({ min: 2, max: 400 }),
    period: fc.integer({ min: 1, max: 5000 }),
  }),
  fc.record({ op: fc.constant("deskew" as const), period: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({
    op: fc.constantFrom("read" as const, "write" as const),
    addr: int0,
    stream: stream(1),
    n: count,
    stride: fc.integer({ min: -4, max: 4 }),
  }),
  fc.record({
    op: fc.constantFrom("gather" as const, "scatter" as const),
    base: int0,
    stream: stream(1),
    map: stream(4),
    n: count,
  }),
  typed((t, s) =>
    fc.record({
      op: fc.constant("vunary" as const),
      fn: fc.constantFrom(...VXM_UNARY),
      type: fc.constant(t),
      dst: s,
      src: s,
      n: count,
    }),
  ),
  typed((t, s) =>
    fc.record({
      op: fc.constant("vbinary" as const),
      fn: fc.constantFrom(...VXM_BINARY),
      type: fc.constant(t),
      dst: s,
      a: s,
      b: fc.oneof(s, fc.double(), fc.integer()),
      n: count,
    }),
  ),
  fc.tuple(type, type).chain(([from, to]) =>
    fc.record({
      op: fc.constant("convert" as const),
      from: fc.constant(from),
      to: fc.constant(to),
      dst: stream(ELEM_BYTES[to]),
      src: stream(ELEM_BYTES[from]),
      n: count,
    }),
  ),
  typed((t, s) =>
    fc.record({ op: fc.constant("vaccum" as const), type: fc.constant(t), dst: stream(4), src: s, n: count }),
  ),
  fc.constantFrom(...MXM_IN_TYPES).chain((t) =>
    fc.oneof(
      fc.record({
        op: fc.constant("lw" as const),
        type: fc.constant(t),
        src: stream(ELEM_BYTES[t]),
        n: count,
        row0: int0,
      }),
      fc.record({
        op: fc.constant("abc" as const),
        type: fc.constant(t),
        src: stream(ELEM_BYTES[t]),
        n: count,
        row0: int0,
        accumulate: fc.boolean(),
      }),
    ),
  ),
  fc.record({
    op: fc.constant("acc" as const),
    type: fc.constantFrom(...MXM_ACC_TYPES),
    dst: stream(4),
    n: count,
    row0: int0,
  }),
  typed((t, s) =>
    fc.record(
      {
        op: fc.constant("sxm" as const),
        fn: fc.constantFrom(...SXM_OPS),
        type: fc.constant(t),
        dst: s,
        src: s,
        n: count,
        amount: fc.integer({ min: -320, max: 320 }),
        map: anyLabel,
      },
      { requiredKeys: ["op", "fn", "type", "dst", "src", "n", "amount"] },
    ),
  ),
  typed((t, s) => fc.record({ op: fc.constant("send" as const), type: fc.constant(t), src: s, n: count })),
  typed((t, s) => fc.record({ op: fc.constant("recv" as const), type: fc.constant(t), dst: s, n: count })),
);

const placed: fc.Arbitrary<Placed> = fc.record(
  {
    inst: instruction,
    cycle: fc.nat(100_000),
    note: fc.string({ maxLength: 12 }).filter((s) => !/[\n\r]/.test(s) && s === s.trimEnd()),
  },
  { requiredKeys: ["inst"] },
);

const data: fc.Arbitrary<DataInit> = fc.record(
  {
    slice: fc.integer({ min: 0, max: 87 }),
    addr: int0,
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 320, maxLength: 320 }),
      fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(640).fill(b)),
    ),
    label: name,
  },
  { requiredKeys: ["slice", "addr", "bytes"] },
);

const queueRefs: fc.Arbitrary<QueueRef[]> = fc
  .uniqueArray(
    fc.oneof(
      fc.record({ kind: fc.constant("mem" as const), index: fc.integer({ min: 0, max: 87 }) }),
      fc.record({ kind: fc.constant("vxm" as const), index: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant("mxm" as const), index: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("sxm" as const), index: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant("c2c" as const), index: fc.integer({ min: 0, max: 15 }) }),
    ),
    { maxLength: 4, selector: (q) => `${q.kind}${q.index}` },
  )
  .map((qs) =>
    qs.sort((a, b) => UNIT_KINDS.indexOf(a.kind) - UNIT_KINDS.indexOf(b.kind) || a.index - b.index),
  );

const chip = (n: number): fc.Arbitrary<ChipProgram> =>
  fc.record({
    chip: fc.constant(n),
    queues: queueRefs.chain((qs) =>
      fc.tuple(
        ...qs.map((q) =>
          fc
            .array(
              placed.filter((pl) => [undefined, q.kind].includes(unitOf(pl.inst))),
              { maxLength: 5 },
            )
            .map((instructions) => ({ queue: q, instructions })),
        ),
      ),
    ),
    data: fc
      .array(data, { maxLength: 3 })
      .map((ds) =>
        uniqueBy(ds, (d) => `${d.slice}/${d.addr}`).sort((a, b) => a.slice - b.slice || a.addr - b.addr),
      ),
    outputs: fc
      .uniqueArray(
        fc.record({
          name: anyLabel,
          type,
          addr: int0,
          words: fc.integer({ min: 1, max: 9 }),
          slices: fc.constant([] as number[]),
        }),
        { maxLength: 2, selector: (o) => o.name },
      )
      .map((os) =>
        os
          .map((o) => ({ ...o, slices: Array.from({ length: ELEM_BYTES[o.type] }, (_, k) => 10 + k) }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      ),
  });

function uniqueBy<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const program: fc.Arbitrary<Program> = fc
  .uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 3 })
  .chain((ids) =>
    fc.record({
      arch: fc.constant("tsp-v1"),
      chips: fc.tuple(...ids.sort((a, b) => a - b).map(chip)),
      wires: fc.constant([]),
      maps: fc
        .uniqueArray(name, { maxLength: 2 })
        .map((ns) =>
          Object.fromEntries(
            ns.sort().map((n, k) => [n, Array.from({ length: 320 }, (_, l) => (l + k) % 320)]),
          ),
        ),
    }),
  )
  .map((p) => {
    // Map names used by SXM instructions must exist: point them at a real map or drop the field.
    const names = Object.keys(p.maps);
    const chips = p.chips.map((c) => ({
      ...c,
      queues: c.queues.map((q) => ({
        ...q,
        instructions: q.instructions.map((pl) => {
          if (pl.inst.op !== "sxm" || pl.inst.map === undefined) return pl;
          const { map: _, ...rest } = pl.inst;
          return {
            ...pl,
            inst: names.length > 0 ? { ...rest, map: names[pl.inst.map.length % names.length]! } : rest,
          };
        }),
      })),
    }));
    return { ...p, chips };
  });

/** A program without source spans, for comparing a parsed program with a generated one. */
export function withoutSpans(p: Program): Program {
  return {
    ...p,
    chips: p.chips.map((c) => ({
      ...c,
      queues: c.queues.map((q) => ({
        ...q,
        instructions: q.instructions.map(({ span: _, ...rest }) => rest),
      })),
    })),
  };
}
