// One instruction statement -> an Instruction of arch/isa.ts, or diagnostics (unknown mnemonic with a near-miss
// hint, wrong type suffixes, operand kinds and counts, stream groups beyond the machine's streams).

import { didYouMean } from "../../util/suggest.ts";
import { ELEM_BYTES, type ElemType, type Instruction, type StreamRef } from "../isa.ts";
import type { Machine } from "../machine.ts";
import { M } from "./messages.ts";
import {
  ELEM_TYPES,
  isElemType,
  MNEMONICS,
  MXM_ACC_TYPES,
  MXM_IN_TYPES,
  SXM_OPS,
  streamName,
  VXM_BINARY,
  VXM_UNARY,
} from "./names.ts";
import { type Reader, splitOptions } from "./operands.ts";
import type { InstructionStmt, Item } from "./statements.ts";

/** How many type suffixes each mnemonic takes (`add.fp16`: 1, `convert.fp32.fp16`: 2). */
function typeArity(mn: string): number {
  if (["nop", "sync", "notify", "deskew", "read", "write", "gather", "scatter", "iw"].includes(mn)) return 0;
  return mn === "convert" ? 2 : 1;
}

const EXAMPLE: Readonly<Record<number, string>> = { 0: "no type", 1: "one type", 2: "two types" };

export function readInstruction(r: Reader, st: InstructionStmt, m: Machine): Instruction | undefined {
  const [mn = "", ...suffixes] = st.mnemonic.split(".");
  if (!MNEMONICS.includes(mn)) {
    r.report(M.unknownMnemonic, st.mnemonicSpan, [mn], didYouMean(mn, MNEMONICS));
    return undefined;
  }
  const arity = typeArity(mn);
  if (suffixes.length !== arity) {
    const example = arity === 0 ? mn : arity === 1 ? `${mn}.fp16` : `${mn}.fp32.fp16`;
    r.report(M.typeSuffixes, st.mnemonicSpan, [mn, EXAMPLE[arity]!, example]);
    return undefined;
  }
  const types: ElemType[] = [];
  for (const s of suffixes) {
    if (!isElemType(s)) {
      r.report(M.unknownType, st.mnemonicSpan, [s], didYouMean(s, ELEM_TYPES));
      return undefined;
    }
    types.push(s);
  }
  const type = types[0]!;
  const cx = new Operands(r, st, m);

  switch (mn) {
    case "nop": {
      const [cycles] = cx.take([], 1);
      const c = r.int(cycles, "nop cycles", 1, st.span);
      return c === undefined ? undefined : { op: "nop", cycles: c };
    }
    case "sync":
    case "notify": {
      const [tok] = cx.take([], 1);
      const token = r.name(tok, `${mn} token`, st.span);
      return token === undefined ? undefined : { op: mn, token };
    }
    case "deskew":
      return readDeskew(cx);
    case "iw":
      cx.take([], 0);
      return cx.ok ? { op: mn } : undefined;
    case "read":
    case "write": {
      const [a, s] = cx.take(["n", "stride"], 2);
      const addr = r.int(a, "address", 0, st.span);
      const stream = cx.stream(s, 1);
      const n = cx.count();
      const strideItem = cx.options.get("stride");
      const stride = strideItem ? r.signedInt(strideItem, "stride") : 1;
      if (addr === undefined || !stream || n === undefined || stride === undefined || !cx.ok)
        return undefined;
      return { op: mn, addr, stream, n, stride };
    }
    case "gather":
    case "scatter": {
      const [b, s, mp] = cx.take(["n"], 3);
      const base = r.int(b, "base address", 0, st.span);
      const stream = cx.stream(s, 1);
      const map = cx.stream(mp, 4);
      const n = cx.count();
      if (base === undefined || !stream || !map || n === undefined || !cx.ok) return undefined;
      return { op: mn, base, stream, map, n };
    }
    case "convert": {
      const [d, s] = cx.take(["n"], 2);
      const to = types[0]!;
      const from = types[1]!;
      const dst = cx.stream(d, ELEM_BYTES[to]);
      const src = cx.stream(s, ELEM_BYTES[from]);
      const n = cx.count();
      return dst && src && n !== undefined && cx.ok ? { op: "convert", from, to, dst, src, n } : undefined;
    }
    case "accum": {
      const [d, s] = cx.take(["n"], 2);
      const dst = cx.stream(d, 4);
      const src = cx.stream(s, ELEM_BYTES[type]);
      const n = cx.count();
      return dst && src && n !== undefined && cx.ok ? { op: "vaccum", type, dst, src, n } : undefined;
    }
    case "lw":
    case "abc": {
      if (!cx.mxmType(mn, type, MXM_IN_TYPES)) return undefined;
      const [s] = cx.take(
        mn === "lw" ? ["n", "row0", "width"] : ["n", "row0"],
        1,
        mn === "abc" ? ["acc"] : [],
      );
      // lw with width W reads W consecutive groups: all of them must fit the machine's streams.
      const width = mn === "lw" ? cx.opt("width", 1, 1) : 1;
      const src = width === undefined ? undefined : cx.stream(s, ELEM_BYTES[type] * width);
      const n = cx.count();
      const row0 = cx.row0();
      if (!src || n === undefined || row0 === undefined || width === undefined || !cx.ok) return undefined;
      if (mn === "abc") return { op: "abc", type, src, n, row0, accumulate: cx.flags.has("acc") };
      // width 1 is the default and is left out, so the printed form and the parsed form agree.
      return { op: "lw", type, src, n, row0, ...(width !== 1 ? { width } : {}) };
    }
    case "acc": {
      if (!cx.mxmType(mn, type, MXM_ACC_TYPES)) return undefined;
      const [d] = cx.take(["n", "row0"], 1);
      const dst = cx.stream(d, 4);
      const n = cx.count();
      const row0 = cx.row0();
      return dst && n !== undefined && row0 !== undefined && cx.ok
        ? { op: "acc", type, dst, n, row0 }
        : undefined;
    }
    case "send":
    case "recv": {
      const [s] = cx.take(["n"], 1);
      const stream = cx.stream(s, ELEM_BYTES[type]);
      const n = cx.count();
      if (!stream || n === undefined || !cx.ok) return undefined;
      return mn === "send" ? { op: "send", type, src: stream, n } : { op: "recv", type, dst: stream, n };
    }
  }
  if ((VXM_UNARY as readonly string[]).includes(mn)) {
    const [d, s] = cx.take(["n"], 2);
    const dst = cx.stream(d, ELEM_BYTES[type]);
    const src = cx.stream(s, ELEM_BYTES[type]);
    const n = cx.count();
    if (!dst || !src || n === undefined || !cx.ok) return undefined;
    return { op: "vunary", fn: mn as (typeof VXM_UNARY)[number], type, dst, src, n };
  }
  if ((VXM_BINARY as readonly string[]).includes(mn)) {
    const [d, a, b] = cx.take(["n"], 3);
    const dst = cx.stream(d, ELEM_BYTES[type]);
    const sa = cx.stream(a, ELEM_BYTES[type]);
    const sb = b?.kind === "num" ? b.value : cx.stream(b, ELEM_BYTES[type]);
    const n = cx.count();
    if (!dst || !sa || sb === undefined || n === undefined || !cx.ok) return undefined;
    return { op: "vbinary", fn: mn as (typeof VXM_BINARY)[number], type, dst, a: sa, b: sb, n };
  }
  if ((SXM_OPS as readonly string[]).includes(mn)) return readSxm(cx, mn as (typeof SXM_OPS)[number], type);
  throw new Error(`internal error: mnemonic '${mn}' has no reader`);
}

/** `deskew [n=N, period=P]`, or positionally `deskew N, P`: N deskews P cycles apart. n = 1 is the default and is
 * left out of the instruction (so the printed and the parsed forms agree); a period is required when n > 1. */
function readDeskew(cx: Operands): Instruction | undefined {
  const r = cx.r;
  const before = r.diagnostics.length;
  const [nPos, periodPos] = cx.take(["n", "period"], 0, [], 2);
  const pick = (key: string, pos: Item | undefined): Item | undefined => {
    const kw = cx.options.get(key);
    if (pos && kw) r.report(M.duplicateOption, pos.span, [key]);
    return pos ?? kw;
  };
  const nItem = pick("n", nPos);
  const periodItem = pick("period", periodPos);
  const n = nItem ? r.int(nItem, "deskew count n", 1, nItem.span) : 1;
  const period = periodItem ? r.int(periodItem, "deskew period", 1, periodItem.span) : undefined;
  if (r.diagnostics.length > before || n === undefined) return undefined;
  if (n > 1 && period === undefined) {
    r.report(M.missingArg, cx.st.span, [`deskew n=${n}`, "a period (period=CYCLES) to repeat"]);
    return undefined;
  }
  return { op: "deskew", ...(n !== 1 ? { n } : {}), ...(period !== undefined ? { period } : {}) };
}

/** SXM ops take an optional third operand: a whole number is the lane amount, a name is the lane map. */
function readSxm(cx: Operands, fn: (typeof SXM_OPS)[number], type: ElemType): Instruction | undefined {
  const r = cx.r;
  const [d, s, third] = cx.take(["n", "amount", "map"], 2, [], 3);
  const dst = cx.stream(d, ELEM_BYTES[type]);
  const src = cx.stream(s, ELEM_BYTES[type]);
  const n = cx.count();
  let amountItem = cx.options.get("amount");
  let mapItem = cx.options.get("map");
  if (third) {
    const dup = third.kind === "num" ? amountItem : mapItem;
    if (dup) r.report(M.duplicateOption, third.span, [third.kind === "num" ? "amount" : "map"]);
    if (third.kind === "num") amountItem = third;
    else mapItem = third;
  }
  const amount = amountItem ? r.signedInt(amountItem, "lane amount") : 0;
  const map = mapItem ? r.name(mapItem, "lane map", mapItem.span) : undefined;
  if (!dst || !src || n === undefined || amount === undefined || (mapItem && map === undefined) || !cx.ok)
    return undefined;
  return { op: "sxm", fn, type, dst, src, n, amount, ...(map !== undefined ? { map } : {}) };
}

/** The operands of one instruction statement, read against the machine's stream count. */
class Operands {
  ok = true;
  options = new Map<string, Item>();
  flags = new Set<string>();

  constructor(
    readonly r: Reader,
    readonly st: InstructionStmt,
    readonly m: Machine,
  ) {}

  /** Positional operands (exactly `count`, or up to `max`), after taking out the allowed options and flags. */
  take(
    allowed: readonly string[],
    count: number,
    flags: readonly string[] = [],
    max = count,
  ): (Item | undefined)[] {
    const before = this.r.diagnostics.length;
    const {
      positional,
      options,
      flags: fl,
    } = splitOptions(this.r, this.st.operands, this.st.mnemonic, allowed, flags);
    this.options = options;
    this.flags = fl;
    if (positional.length < count || positional.length > max) {
      const want = count === max ? plural(count, "operand") : `${count} to ${max} operands`;
      const at = positional[max]?.span ?? this.st.span;
      this.r.report(M.operandCount, at, [this.st.mnemonic, want, String(positional.length)]);
    }
    if (this.r.diagnostics.length > before) this.ok = false;
    return positional.slice(0, max);
  }

  /** A stream group of `bytes` streams; the group must fit the machine's streams. */
  stream(item: Item | undefined, bytes: number): StreamRef | undefined {
    // A missing operand was already reported as a wrong operand count.
    if (!item && !this.ok) return undefined;
    const s = this.r.stream(item, "a stream", this.st.span);
    if (!s) {
      this.ok = false;
      return undefined;
    }
    const limit = this.m.streamsPerDirection;
    if (s.id + bytes > limit) {
      this.r.report(M.streamRange, item!.span, [
        `${bytes}-byte`,
        streamName(s),
        s.id,
        s.id + bytes - 1,
        this.m.name,
        limit,
      ]);
      this.ok = false;
      return undefined;
    }
    return s;
  }

  count(): number | undefined {
    return this.opt("n", 1, 1);
  }

  row0(): number | undefined {
    return this.opt("row0", 0, 0);
  }

  mxmType(mn: string, t: ElemType, allowed: readonly ElemType[]): boolean {
    if (allowed.includes(t)) return true;
    this.r.report(M.badMxmType, this.st.mnemonicSpan, [mn, t, allowed.join(", ")]);
    return false;
  }

  opt(key: string, dflt: number, min: number): number | undefined {
    const it = this.options.get(key);
    if (!it) return dflt;
    const v = this.r.int(it, key, min, it.span);
    if (v === undefined) this.ok = false;
    return v;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
