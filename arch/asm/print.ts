// Program -> canonical `.lasm` text: `.arch`, maps by name, wires, then chips by number, each with its data (by
// slice, then address), outputs (by name) and queues in the fixed order mem, vxm, mxm, sxm, c2c. Instructions keep
// their queue order (written as bytes: print-row.ts, text-buffer.ts). Guarantee: parseAsm(printAsm(p)) gives p
// back (spans aside), for p already in this order.
import { assertNever } from "../../util/assert.ts";
import { columnsOf } from "../columns-build.ts";
import { machineFromName } from "../derive.ts";
import type { DataInit, Instruction, Placed, Program } from "../isa.ts";
import { toBase64 } from "./data.ts";
import { formatName, formatNumber, mnemonicOf, queueName, streamName as sn, UNIT_KINDS } from "./names.ts";
import { writeRow } from "./print-row.ts";
import { TextBuffer } from "./text-buffer.ts";

export function printAsm(p: Program): string {
  // Each piece copied: printAsmBytes reuses its buffer.
  const pieces = Array.from(printAsmBytes(p), (b) => b.slice());
  const all = new Uint8Array(pieces.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of pieces) {
    all.set(b, at);
    at += b.length;
  }
  return new TextDecoder().decode(all);
}

/** Bytes of text a piece holds before it is yielded. */
const PIECE_BYTES = 1 << 20;

/** The text of printAsm as UTF-8 bytes, in pieces of whole lines of about a megabyte (each a view of the printer's
 * buffer, valid until the next piece is asked for): a large program (tens of
 * millions of instructions) is written to a file a piece at a time, since its text can pass the longest string V8
 * holds. Rows are written as bytes straight from their columns (print-row.ts): a string per line, the batches they
 * were joined into and the collector's work on them were most of the cost of writing a compiled program. */
export function* printAsmBytes(p: Program): Generator<Uint8Array> {
  const w = new TextBuffer(2 * PIECE_BYTES);
  const line = (s: string) => {
    w.str(s);
    w.char(10);
  };
  line(`.arch ${formatName(p.arch)}`);
  for (const name of Object.keys(p.maps).sort()) for (const l of printMap(name, p.maps[name]!)) line(l);
  const wires = [...p.wires].sort(
    (x, y) => x.a - y.a || x.link - y.link || x.b - y.b || x.peerLink - y.peerLink,
  );
  for (const x of wires) line(`.wire ${x.a}:c2c${x.link} ${x.b}:c2c${x.peerLink}`);
  const lanes = machineFromName(p.arch)?.lanes ?? 320;
  const kindRank = (k: string) => UNIT_KINDS.indexOf(k as (typeof UNIT_KINDS)[number]);
  for (const c of [...p.chips].sort((x, y) => x.chip - y.chip)) {
    line("");
    line(`.chip ${c.chip}`);
    if (c.copyOf) line(`.copy ${c.copyOf.chip} shift=${c.copyOf.shift}`);
    const data = [...c.data].sort((x, y) => x.slice - y.slice || x.addr - y.addr);
    for (const d of data) {
      line(printData(d, lanes));
      if (w.length >= PIECE_BYTES) yield w.take();
    }
    for (const o of [...c.outputs].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
      const slices = o.slices.map((s) => `mem${s}`).join(",");
      line(
        `.output ${formatName(o.name)} ${o.type} ${slices} ${o.addr}${o.words !== 1 ? ` words=${o.words}` : ""}`,
      );
    }
    const queues = [...c.queues].sort(
      (x, y) => kindRank(x.queue.kind) - kindRank(y.queue.kind) || x.queue.index - y.queue.index,
    );
    for (const q of queues) {
      line("");
      line(`.queue ${queueName(q.queue)}`);
      const cols = columnsOf(q);
      for (let k = 0; k < cols.count; k++) {
        writeRow(w, cols, k);
        if (w.length >= PIECE_BYTES) yield w.take();
      }
    }
  }
  if (w.length > 0) yield w.take();
}

function printMap(name: string, map: readonly number[]): string[] {
  const rows: string[] = [];
  // Sixteen lanes a row: one superlane per line.
  for (let i = 0; i < map.length; i += 16) rows.push(`  ${map.slice(i, i + 16).join(", ")}`);
  if (rows.length === 0) return [`.map ${formatName(name)} []`];
  return [`.map ${formatName(name)} [`, rows.join(",\n"), "]"];
}

/** Raw bytes, one slice: a fill when every byte is the same, otherwise base64. */
function printData(d: DataInit, lanes: number): string {
  const label = d.label !== undefined ? `${formatName(d.label)} ` : "";
  const words = d.bytes.length / lanes;
  const head = `.data ${label}bytes mem${d.slice} ${d.addr}`;
  const b0 = d.bytes[0];
  if (b0 !== undefined && d.bytes.every((b) => b === b0)) return `${head} words=${words} fill ${b0}`;
  return `${head} words=${words} "${toBase64(d.bytes)}"`;
}

export function printPlaced(pl: Placed): string {
  const at = pl.cycle !== undefined ? `@${pl.cycle} ` : "";
  const note =
    pl.note === undefined ? "" : ` ; ${pl.note.includes("\n") ? pl.note.replace(/\n/g, " ") : pl.note}`;
  return `  ${at}${printInstruction(pl.inst)}${note}`;
}

const opt = (key: string, v: number, dflt: number): string[] => (v === dflt ? [] : [`${key}=${v}`]);
/** `, key=v` after the operands before it, or nothing at the default (the common instructions are written as one
 * template each: a compiled program prints tens of millions of them). */
const more = (key: string, v: number, dflt: number): string => (v === dflt ? "" : `, ${key}=${v}`);

export function printInstruction(i: Instruction): string {
  const mn = mnemonicOf(i);
  const line = (head: string, ops: string[]) => (ops.length > 0 ? `${head} ${ops.join(", ")}` : head);
  switch (i.op) {
    case "nop":
      return line(mn, [String(i.cycles)]);
    case "sync":
    case "notify":
      return line(mn, [formatName(i.token)]);
    case "deskew":
      return line(mn, [...opt("n", i.n ?? 1, 1), ...(i.period !== undefined ? [`period=${i.period}`] : [])]);
    case "iw":
      return mn;
    case "read":
    case "write":
      return `${mn} ${i.addr}, ${sn(i.stream)}${more("n", i.n, 1)}${more("stride", i.stride, 1)}`;
    case "gather":
    case "scatter":
      return line(mn, [String(i.base), sn(i.stream), sn(i.map), ...opt("n", i.n, 1)]);
    case "vunary":
      return `${mn}.${i.type} ${sn(i.dst)}, ${sn(i.src)}${more("n", i.n, 1)}`;
    case "vbinary": {
      const b = typeof i.b === "number" ? formatNumber(i.b) : sn(i.b);
      return `${mn}.${i.type} ${sn(i.dst)}, ${sn(i.a)}, ${b}${more("n", i.n, 1)}`;
    }
    case "convert":
      return `convert.${i.to}.${i.from} ${sn(i.dst)}, ${sn(i.src)}${more("n", i.n, 1)}`;
    case "vaccum":
      return line(`accum.${i.type}`, [sn(i.dst), sn(i.src), ...opt("n", i.n, 1)]);
    case "lw":
      return `lw.${i.type} ${sn(i.src)}${more("n", i.n, 1)}${more("row0", i.row0, 0)}${more("width", i.width ?? 1, 1)}`;
    case "abc":
      return `abc.${i.type} ${sn(i.src)}${more("n", i.n, 1)}${more("row0", i.row0, 0)}${i.accumulate ? ", acc" : ""}`;
    case "acc":
      return `acc.${i.type} ${sn(i.dst)}${more("n", i.n, 1)}${more("row0", i.row0, 0)}`;
    case "sxm": {
      const ops = [sn(i.dst), sn(i.src)];
      const mapped = i.fn === "permute" || i.fn === "distribute";
      if (i.fn === "shift" || i.fn === "rotate") ops.push(String(i.amount));
      else if (i.amount !== 0) ops.push(`amount=${i.amount}`);
      if (i.map !== undefined) ops.push(mapped ? formatName(i.map) : `map=${formatName(i.map)}`);
      return line(`${mn}.${i.type}`, [...ops, ...opt("n", i.n, 1)]);
    }
    case "send":
      return `send.${i.type} ${sn(i.src)}${more("n", i.n, 1)}`;
    case "recv":
      return `recv.${i.type} ${sn(i.dst)}${more("n", i.n, 1)}`;
    default:
      return assertNever(i, "instruction");
  }
}
