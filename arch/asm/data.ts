// The `.data`, `.output` and `.map` directives: words in, DataInit / OutputRegion / lane maps out.
// `.data [LABEL] TYPE SLICES ADDR [words=N] INIT` with one MEM slice per byte plane (low byte first) and INIT one
// of `[v, ...]`, `fill V`, `iota [start=S] [step=D]`, `seed N`, or (type `bytes`, one slice) a base64 string.
import { Rng } from "../../util/random.ts";
import { intRange, toPlanes } from "../encode.ts";
import { type DataInit, ELEM_BYTES, type ElemType, type OutputRegion } from "../isa.ts";
import { type Machine, memSlices } from "../machine.ts";
import { M } from "./messages.ts";
import { isElemType, parseQueueName } from "./names.ts";
import type { Reader } from "./operands.ts";
import { splitOptions, text } from "./operands.ts";
import type { DirectiveStmt, Item } from "./statements.ts";

const isMemList = (g: readonly Item[] | undefined): boolean =>
  g !== undefined && g[0]?.kind === "name" && parseQueueName(g[0].name)?.kind === "mem";

/** MEM slice indices from a group like `mem3,mem4`. */
function slices(r: Reader, g: readonly Item[], m: Machine): number[] | undefined {
  const out: number[] = [];
  for (const it of g) {
    const q = it.kind === "name" ? parseQueueName(it.name) : undefined;
    if (q?.kind !== "mem") {
      r.report(M.notMemSlice, it.span, [text(it)]);
      return undefined;
    }
    if (q.index >= memSlices(m)) {
      r.report(M.noSuchQueue, it.span, [m.name, text(it), `mem0..mem${memSlices(m) - 1}`]);
      return undefined;
    }
    out.push(q.index);
  }
  return out;
}

interface Header {
  label?: string;
  type: ElemType | "bytes";
  slices: number[];
  addr: number;
  rest: Item[];
}

/** The common head of `.data` and `.output`: [LABEL] TYPE SLICES ADDR, then the remaining items in one list. */
function header(r: Reader, d: DirectiveStmt, m: Machine, labelRequired: boolean): Header | undefined {
  const gs = d.groups;
  const hasLabel = labelRequired || !isMemList(gs[1]);
  const labelItem = hasLabel ? gs[0]?.[0] : undefined;
  const label = hasLabel ? r.name(labelItem, `${d.name} name`, d.span) : undefined;
  if (hasLabel && label === undefined) return undefined;
  const at = hasLabel ? 1 : 0;
  const typeItem = gs[at]?.[0];
  const typeName = typeItem?.kind === "name" ? typeItem.name : undefined;
  if (typeName === undefined || (!isElemType(typeName) && (typeName !== "bytes" || labelRequired))) {
    if (typeItem) r.report(M.unknownType, typeItem.span, [text(typeItem)]);
    else r.report(M.missingArg, d.span, [d.name, "an element type such as 'fp16'"]);
    return undefined;
  }
  const sliceGroup = gs[at + 1];
  if (!sliceGroup) {
    r.report(M.missingArg, d.span, [d.name, "one MEM slice per byte plane, such as 'mem3,mem4'"]);
    return undefined;
  }
  const sl = slices(r, sliceGroup, m);
  if (!sl) return undefined;
  const planes = typeName === "bytes" ? 1 : ELEM_BYTES[typeName];
  if (sl.length !== planes) {
    r.report(M.planeCount, sliceGroup[0]!.span, [typeName, planes, sl.length]);
    return undefined;
  }
  const addr = r.int(gs[at + 2]?.[0], "address", 0, d.span);
  if (addr === undefined) return undefined;
  return {
    ...(label !== undefined ? { label } : {}),
    type: typeName,
    slices: sl,
    addr,
    rest: gs.slice(at + 3).flat(),
  };
}

export function readData(r: Reader, d: DirectiveStmt, m: Machine): DataInit[] | undefined {
  const h = header(r, d, m, false);
  if (!h) return undefined;
  const { positional, options } = splitOptions(r, h.rest, ".data", ["words", "start", "step"]);
  const wordsItem = options.get("words");
  const words = wordsItem ? r.int(wordsItem, "words", 1, wordsItem.span) : undefined;
  if (wordsItem && words === undefined) return undefined;
  const init = positional[0];
  const arg = positional[1];
  const lanes = m.lanes;
  const make = (planes: Uint8Array[]): DataInit[] =>
    planes.map((bytes, b) => ({
      slice: h.slices[b]!,
      addr: h.addr,
      bytes,
      ...(h.label !== undefined ? { label: h.label } : {}),
    }));
  const extra = positional[init?.kind === "name" && (init.name === "fill" || init.name === "seed") ? 2 : 1];
  if (extra) {
    r.report(M.extraArg, extra.span, [text(extra), "the data"]);
    return undefined;
  }

  if (h.type === "bytes") {
    const n = words ?? 1;
    if (init?.kind === "name" && init.name === "fill" && !init.quoted) {
      const v = arg ? r.number(arg) : undefined;
      if (v === undefined || !Number.isInteger(v) || v < 0 || v > 255) {
        if (arg) r.report(M.valueRange, arg.span, [text(arg), "a byte (0..255)"]);
        return undefined;
      }
      return make([new Uint8Array(n * lanes).fill(v)]);
    }
    if (init?.kind === "name" && init.quoted) {
      const bytes = fromBase64(init.name);
      if (!bytes || bytes.length === 0 || bytes.length % lanes !== 0) {
        r.report(M.badBase64, init.span);
        return undefined;
      }
      if (words !== undefined && words * lanes !== bytes.length) {
        r.report(M.tooManyValues, init.span, [bytes.length, words, lanes]);
        return undefined;
      }
      return make([bytes]);
    }
    r.report(M.rawBytesType, init?.span ?? d.span);
    return undefined;
  }

  const type = h.type;
  const values = elementValues(r, d, type, init, arg, options, words, lanes);
  if (!values) return undefined;
  return make(toPlanes(type, values.values, values.words, lanes));
}

function elementValues(
  r: Reader,
  d: DirectiveStmt,
  type: ElemType,
  init: Item | undefined,
  arg: Item | undefined,
  options: Map<string, Item>,
  wordsGiven: number | undefined,
  lanes: number,
): { values: number[]; words: number } | undefined {
  const range = intRange(type);
  const fits = (v: number, it: Item): boolean => {
    if (range && (!Number.isInteger(v) || v < range.lo || v > range.hi)) {
      r.report(M.valueRange, it.span, [text(it), type]);
      return false;
    }
    return true;
  };
  if (init?.kind === "list") {
    const words = wordsGiven ?? Math.max(1, Math.ceil(init.values.length / lanes));
    if (init.values.length > words * lanes) {
      r.report(M.tooManyValues, init.span, [init.values.length, words, lanes]);
      return undefined;
    }
    let ok = true;
    for (const v of init.values) ok = fits(v.value, v) && ok;
    return ok ? { values: init.values.map((v) => v.value), words } : undefined;
  }
  const words = wordsGiven ?? 1;
  const count = words * lanes;
  const form = init?.kind === "name" && !init.quoted ? init.name : undefined;
  if (form === "fill" || form === "seed") {
    if (!arg) {
      r.report(M.missingArg, init!.span, [form, form === "fill" ? "a value" : "a whole-number seed"]);
      return undefined;
    }
    if (form === "fill") {
      const v = r.number(arg);
      return v !== undefined && fits(v, arg)
        ? { values: new Array<number>(count).fill(v), words }
        : undefined;
    }
    const seed = r.int(arg, "seed", 0, arg.span);
    return seed === undefined ? undefined : { values: seeded(type, seed, count), words };
  }
  if (form === "iota") {
    const startItem = options.get("start");
    const stepItem = options.get("step");
    const start = startItem ? r.number(startItem) : 0;
    const step = stepItem ? r.number(stepItem) : 1;
    if (start === undefined || step === undefined) return undefined;
    if (range && (!Number.isInteger(start) || !Number.isInteger(step))) {
      r.report(M.valueRange, (startItem ?? stepItem)!.span, ["a fraction", type]);
      return undefined;
    }
    // Integer types wrap, as a C cast would: iota over 320 int8 lanes counts 0..127, -128.., and so on.
    return { values: Array.from({ length: count }, (_, k) => start + k * step), words };
  }
  r.report(M.badDataForm, init?.span ?? d.span);
  return undefined;
}

/** Seeded values: floats uniform in [-1, 1), int8/uint8 over their range, int32 in [-32768, 32768). */
export function seeded(type: ElemType, seed: number, count: number): number[] {
  const rng = new Rng(seed);
  const range = intRange(type);
  const lo = range ? Math.max(range.lo, -32768) : 0;
  const hi = range ? Math.min(range.hi + 1, 32768) : 0;
  return Array.from({ length: count }, () => (range ? rng.int(lo, hi) : 2 * rng.next() - 1));
}

export function readOutput(r: Reader, d: DirectiveStmt, m: Machine): OutputRegion | undefined {
  const h = header(r, d, m, true);
  if (!h || h.type === "bytes") return undefined;
  const { positional, options } = splitOptions(r, h.rest, ".output", ["words"]);
  if (positional[0]) {
    r.report(M.extraArg, positional[0].span, [text(positional[0]), "the output region"]);
    return undefined;
  }
  const wordsItem = options.get("words");
  const words = wordsItem ? r.int(wordsItem, "words", 1, wordsItem.span) : 1;
  if (words === undefined) return undefined;
  return { name: h.label!, type: h.type, slices: h.slices, addr: h.addr, words };
}

/** `.map NAME [..]`, `.map NAME identity`, `.map NAME reverse`, `.map NAME rotate K`. */
export function readMap(
  r: Reader,
  d: DirectiveStmt,
  m: Machine,
): { name: string; map: number[] } | undefined {
  const name = r.name(d.groups[0]?.[0], ".map name", d.span);
  if (name === undefined) return undefined;
  const form = d.groups[1]?.[0];
  const lanes = m.lanes;
  if (form?.kind === "list") {
    if (form.values.length !== lanes) {
      r.report(M.mapLength, form.span, [lanes, form.values.length]);
      return undefined;
    }
    let ok = true;
    for (const v of form.values) {
      if (!Number.isInteger(v.value) || v.value < 0 || v.value >= lanes) {
        r.report(M.valueRange, v.span, [v.text, `a lane (0..${lanes - 1})`]);
        ok = false;
      }
    }
    return ok ? { name, map: form.values.map((v) => v.value) } : undefined;
  }
  const kind = form?.kind === "name" ? form.name : undefined;
  if (kind === "identity") return { name, map: Array.from({ length: lanes }, (_, l) => l) };
  if (kind === "reverse") return { name, map: Array.from({ length: lanes }, (_, l) => lanes - 1 - l) };
  if (kind === "rotate") {
    const k = d.groups[2]?.[0];
    const amount = k ? r.signedInt(k, "rotate amount") : undefined;
    if (amount === undefined) {
      if (!k) r.report(M.missingArg, form!.span, ["rotate", "a lane amount"]);
      return undefined;
    }
    // Same convention as the SXM rotate: out[l] = in[(l - amount) mod lanes].
    return { name, map: Array.from({ length: lanes }, (_, l) => (((l - amount) % lanes) + lanes) % lanes) };
  }
  r.report(M.badMapForm, form?.span ?? d.span, [form ? text(form) : ""]);
  return undefined;
}

export function fromBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(s, "base64"));
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}
