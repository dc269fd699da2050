// The fast path's one-read check and encoding (simulator/lpu/encode-checked.ts) against the full check
// (static-faults.ts) and encoding (encode.ts) it stands in for: on thousands of instructions of every op with fields
// pushed out of range one or two at a time, on every queue kind, wired or not.
import { describe, expect, it } from "vitest";
import { unitOf } from "../../../arch/asm/names.ts";
import { BINARY_FNS, SXM_FNS, UNARY_FNS } from "../../../arch/columns.ts";
import { columnsFromPlaced } from "../../../arch/columns-build.ts";
import type { Instruction, Placed, Program, StreamRef, UnitKind } from "../../../arch/isa.ts";
import { clearRows, FastCode } from "../../../simulator/lpu/code.ts";
import { encode } from "../../../simulator/lpu/encode.ts";
import { encodeChecked } from "../../../simulator/lpu/encode-checked.ts";
import type { InstRecord } from "../../../simulator/lpu/hazards.ts";
import { InstructionCheck } from "../../../simulator/lpu/static-faults.ts";
import { Interner } from "../../../util/interner.ts";
import { Rng } from "../../../util/random.ts";
import { M } from "./kit.ts";

const s = (id: number, dir: "e" | "w" = "e"): StreamRef => ({ id, dir });

/** One valid instruction of every op (types and widths chosen so that each check can be pushed over its edge). */
const BASE: readonly Instruction[] = [
  { op: "nop", cycles: 3 },
  { op: "sync", token: "a" },
  { op: "notify", token: "a" },
  { op: "deskew" },
  { op: "deskew", n: 3, period: 100 },
  { op: "read", addr: 10, stream: s(3), n: 40, stride: 1 },
  { op: "write", addr: 10, stream: s(3, "w"), n: 40, stride: -1 },
  { op: "gather", base: 5, stream: s(0), map: s(4), n: 2 },
  { op: "scatter", base: 5, stream: s(0), map: s(4), n: 2 },
  { op: "vunary", fn: "exp", type: "fp16", dst: s(2, "w"), src: s(6), n: 8 },
  { op: "vunary", fn: "relu", type: "int8", dst: s(2), src: s(6), n: 8 },
  { op: "vbinary", fn: "add", type: "fp32", dst: s(0), a: s(4), b: s(8), n: 8 },
  { op: "vbinary", fn: "mul", type: "bf16", dst: s(0), a: s(4), b: 2.5, n: 8 },
  { op: "convert", from: "fp32", to: "fp16", dst: s(0), src: s(4), n: 8 },
  { op: "vaccum", type: "fp16", dst: s(0), src: s(4), n: 8 },
  { op: "lw", type: "fp8", src: s(8), n: 100, row0: 0, width: 8 },
  { op: "lw", type: "fp16", src: s(0), n: 5, row0: 3 },
  { op: "iw" },
  { op: "abc", type: "fp16", src: s(0), n: 4, row0: 0, accumulate: true },
  { op: "acc", type: "fp32", dst: s(0), n: 4, row0: 0 },
  { op: "sxm", fn: "transpose", type: "int8", dst: s(0), src: s(1), n: 32, amount: 0 },
  { op: "sxm", fn: "shift", type: "fp16", dst: s(0), src: s(2), n: 3, amount: 2 },
  { op: "sxm", fn: "permute", type: "int8", dst: s(0), src: s(1), n: 3, amount: 0, map: "m" },
  { op: "send", type: "fp16", src: s(30), n: 2 },
  { op: "recv", type: "int8", dst: s(31, "w"), n: 2 },
] as Instruction[];

const KINDS: readonly UnitKind[] = ["mem", "vxm", "mxm", "sxm", "c2c"];
/** Values a numeric field is pushed to: whole, fractional, negative, zero, at and beyond the machine's edges. */
const NUMBERS = [0, 1, -1, 2.5, 7, 8, 9, 16, 31, 32, 33, 2 ** 31, -(2 ** 31), Number.NaN];

/** The instruction with one field changed to an edge value (a stream's id or direction, a number, a type, a name) or
 * an optional one left out. Names stay within the ISA's types: the program's columns (arch/columns.ts) hold a type, a
 * function or a direction as a code, so one outside them cannot reach the simulator. */
function mutate(rng: Rng, inst: Instruction): Instruction {
  const keys = Object.keys(inst).filter((k) => k !== "op");
  const out: Record<string, unknown> = { ...inst };
  if (keys.length === 0) return inst;
  const key = keys[rng.int(0, keys.length)]!;
  const v = out[key];
  const optional = key === "period" || key === "width" || (inst.op === "deskew" && key === "n");
  if (optional && rng.next() < 0.3) delete out[key];
  else if (typeof v === "number") out[key] = NUMBERS[rng.int(0, NUMBERS.length)];
  else if (typeof v === "object" && v !== null) {
    const ref = v as StreamRef;
    out[key] =
      rng.next() < 0.7
        ? { ...ref, id: NUMBERS[rng.int(0, NUMBERS.length)] }
        : { ...ref, dir: ["e", "w"][rng.int(0, 2)] };
  } else if (key === "type" || key === "from" || key === "to")
    out[key] = ["int8", "uint8", "fp8", "fp16", "bf16", "fp32", "int32"][rng.int(0, 7)];
  else if (key === "fn") {
    const fns: readonly string[] =
      inst.op === "vunary" ? UNARY_FNS : inst.op === "vbinary" ? BINARY_FNS : SXM_FNS;
    out[key] = fns[rng.int(0, fns.length)];
  } else if (key === "map") out[key] = rng.next() < 0.5 ? undefined : "missing";
  else if (key === "accumulate") out[key] = !v;
  if (rng.next() < 0.2) out.width = NUMBERS[rng.int(0, NUMBERS.length)];
  return out as unknown as Instruction;
}

function row(c: FastCode, r: number): number[] {
  return [c.op, c.queue, c.cycle, c.n, c.slots, c.latency, c.a, c.b, c.s0, c.s1, c.s2, c.t0, c.t1, c.fn].map(
    (col) => col[r]!,
  );
}

describe("one-read check and encoding", () => {
  it("accepts only instructions the full check passes and that fit, and encodes them as encode() does", () => {
    const map = Array.from({ length: M.lanes }, (_, l) => l);
    const program: Program = { arch: M.name, chips: [], wires: [], maps: { m: map } };
    const record = (id: number): InstRecord =>
      ({ id, chip: 0, queue: "q", queueOrder: 0, k: id, placed: { inst: { op: "iw" } } }) as InstRecord;
    const rng = new Rng(6);
    const fast = new FastCode(1);
    const full = new FastCode(1);
    let accepted = 0;
    let refused = 0;
    for (let trial = 0; trial < 20000; trial++) {
      let inst = BASE[trial % BASE.length]!;
      const changes = trial < BASE.length * KINDS.length * 2 ? 0 : rng.int(1, 3);
      for (let k = 0; k < changes; k++) inst = mutate(rng, inst);
      const cycles = [undefined, 0, 12, -3, 1.5, 2 ** 31];
      const placed: Placed = { inst, cycle: changes === 0 ? undefined : cycles[rng.int(0, cycles.length)] };
      // Mostly the op's own unit (so that the op's own checks are reached), sometimes another.
      const kind =
        (rng.next() < 0.7 && unitOf(BASE[trial % BASE.length]!)) || KINDS[rng.int(0, KINDS.length)]!;
      const wired = rng.next() < 0.8;
      const cols = columnsFromPlaced([placed]);
      const check = new InstructionCheck(M, program, record);
      check.check({ chip: 0, kind, name: `${kind}0`, index: 0, wired }, 0, cols, 0);
      clearRows(fast, 0, 1);
      clearRows(full, 0, 1);
      const tokens = new Interner();
      const fits = encode(full, 0, 5, cols, 0, 0, M, tokens, new Interner());
      if (encodeChecked(fast, 0, 5, kind, wired, cols, 0, M, new Interner())) {
        accepted++;
        const what = `${JSON.stringify(placed)} on ${kind} (wired ${wired})`;
        expect(check.faults, what).toEqual([]);
        expect(fits, what).toBe(true);
        expect(row(fast, 0), what).toEqual(row(full, 0));
      } else refused++;
    }
    // Both answers occur often, so both directions of the comparison are exercised.
    expect(accepted).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(2000);
  });
});
