// One row of a queue's columns (InstColumns) -> its `.lasm` line, written as bytes straight from the typed arrays
// (text-buffer.ts): no Instruction, StreamRef or Placed object and no string is made per row (a compiled program
// prints millions of them). Guarantee: printRow(c, k) === printPlaced(placedAt(c, k)) for every row
// (test/arch/asm/print-row.test.ts), so the printed program is byte for byte what the object printer wrote.
import {
  aOf,
  BINARY_FNS,
  bOf,
  cycleOf,
  F_ACC,
  F_B,
  F_IMM,
  F_N,
  F_W0,
  FIELD_S0,
  nOf,
  OPCODES,
  SXM_FNS,
  TYPES,
  UNARY_FNS,
  wideValue,
} from "../columns.ts";
import type { InstColumns } from "../isa.ts";
import { formatName, formatNumber } from "./names.ts";
import { TextBuffer } from "./text-buffer.ts";

const [COMMA, SPACE, NEWLINE] = [44, 32, 10];

/** `, s3e`: stream k (0, 1, 2: the columns s0, s1, s2) of row `row`, after ", " unless `first`. */
function stream(w: TextBuffer, c: InstColumns, k: 0 | 1 | 2, row: number, first = false): void {
  const col = k === 0 ? c.s0 : k === 1 ? c.s1 : c.s2;
  w.str(first ? "s" : ", s");
  w.num(wideValue(c, FIELD_S0 + k, row, col[row]!));
  w.char(c.flags[row]! & (F_W0 << k) ? 119 : 101); // 'w' or 'e'
}

/** `, key=v`, or nothing at the default. */
function more(w: TextBuffer, key: string, v: number, dflt: number): void {
  if (v === dflt) return;
  w.str(key);
  w.num(v);
}

/** `mnemonic.type ` */
function head(w: TextBuffer, mn: string, type: string): void {
  w.str(mn);
  w.char(46); // '.'
  w.str(type);
  w.char(SPACE);
}

/** The instruction of row k as printInstruction writes it. */
function writeInstruction(w: TextBuffer, c: InstColumns, k: number): void {
  const flags = c.flags[k]!;
  const type = TYPES[c.t0[k]!]!;
  const n = nOf(c, k);
  const op = OPCODES[c.op[k]!]!;
  switch (op) {
    case "nop":
      w.str("nop ");
      w.num(n);
      return;
    case "sync":
    case "notify":
      w.str(op);
      w.char(SPACE);
      w.str(formatName(c.strings[aOf(c, k)]!));
      return;
    case "deskew": {
      // A deskew's n is printed only when given and not 1; its period whenever given.
      w.str("deskew");
      const showN = (flags & F_N) !== 0 && n !== 1;
      if (showN) {
        w.str(" n=");
        w.num(n);
      }
      if (flags & F_B) {
        w.str(showN ? ", period=" : " period=");
        w.num(bOf(c, k));
      }
      return;
    }
    case "read":
    case "write":
      w.str(op);
      w.char(SPACE);
      w.num(aOf(c, k));
      stream(w, c, 0, k);
      more(w, ", n=", n, 1);
      more(w, ", stride=", bOf(c, k), 1);
      return;
    case "gather":
    case "scatter":
      w.str(op);
      w.char(SPACE);
      w.num(aOf(c, k));
      stream(w, c, 0, k);
      stream(w, c, 1, k);
      more(w, ", n=", n, 1);
      return;
    case "vunary":
      head(w, UNARY_FNS[c.fn[k]!]!, type);
      stream(w, c, 0, k, true);
      stream(w, c, 1, k);
      more(w, ", n=", n, 1);
      return;
    case "vbinary":
      head(w, BINARY_FNS[c.fn[k]!]!, type);
      stream(w, c, 0, k, true);
      stream(w, c, 1, k);
      if (flags & F_IMM) {
        w.char(COMMA);
        w.char(SPACE);
        w.str(formatNumber(aOf(c, k)));
      } else stream(w, c, 2, k);
      more(w, ", n=", n, 1);
      return;
    case "convert":
      w.str("convert.");
      head(w, TYPES[c.t1[k]!]!, type);
      stream(w, c, 0, k, true);
      stream(w, c, 1, k);
      more(w, ", n=", n, 1);
      return;
    case "vaccum":
      head(w, "accum", type);
      stream(w, c, 0, k, true);
      stream(w, c, 1, k);
      more(w, ", n=", n, 1);
      return;
    case "lw":
      head(w, "lw", type);
      stream(w, c, 1, k, true);
      more(w, ", n=", n, 1);
      more(w, ", row0=", aOf(c, k), 0);
      if (flags & F_B) more(w, ", width=", bOf(c, k), 1);
      return;
    case "iw":
      w.str("iw");
      return;
    case "abc":
      head(w, "abc", type);
      stream(w, c, 1, k, true);
      more(w, ", n=", n, 1);
      more(w, ", row0=", aOf(c, k), 0);
      if (flags & F_ACC) w.str(", acc");
      return;
    case "acc":
      head(w, "acc", type);
      stream(w, c, 0, k, true);
      more(w, ", n=", n, 1);
      more(w, ", row0=", aOf(c, k), 0);
      return;
    case "sxm": {
      const fn = SXM_FNS[c.fn[k]!]!;
      const amount = aOf(c, k);
      head(w, fn, type);
      stream(w, c, 0, k, true);
      stream(w, c, 1, k);
      if (fn === "shift" || fn === "rotate") {
        w.str(", ");
        w.num(amount);
      } else more(w, ", amount=", amount, 0);
      if (flags & F_B) {
        w.str(fn === "permute" || fn === "distribute" ? ", " : ", map=");
        w.str(formatName(c.strings[bOf(c, k)]!));
      }
      more(w, ", n=", n, 1);
      return;
    }
    case "send":
      head(w, "send", type);
      stream(w, c, 1, k, true);
      more(w, ", n=", n, 1);
      return;
    case "recv":
      head(w, "recv", type);
      stream(w, c, 0, k, true);
      more(w, ", n=", n, 1);
      return;
    default:
      throw new Error(`internal error: opcode ${c.op[k]} of row ${k} is not known`);
  }
}

/** Row k and a newline as printPlaced writes it: `  @cycle inst ; note` (a newline in a note written as a space). */
export function writeRow(w: TextBuffer, c: InstColumns, k: number): void {
  const cycle = cycleOf(c, k);
  w.char(SPACE);
  w.char(SPACE);
  if (cycle !== undefined) {
    w.char(64); // '@'
    w.num(cycle);
    w.char(SPACE);
  }
  writeInstruction(w, c, k);
  const note = c.note[k]!;
  if (note >= 0) {
    const text = c.notes[note]!;
    w.str(" ; ");
    w.str(text.includes("\n") ? text.replace(/\n/g, " ") : text);
  }
  w.char(NEWLINE);
}

/** Row k as printPlaced writes it (without a newline): writeRow's text as a string. */
export function printRow(c: InstColumns, k: number): string {
  const w = new TextBuffer(256);
  writeRow(w, c, k);
  const text = new TextDecoder().decode(w.take());
  return text.slice(0, -1);
}
