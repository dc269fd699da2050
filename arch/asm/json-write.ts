// Program -> its JSON form (docs/isa.md, "The JSON form"): streams written `s3e`, queues `mem3`, SRAM bytes as
// base64, numbers JSON cannot hold (inf, nan, -0) as strings. Deterministic: fixed key order, one instruction a line,
// written a chip at a time (programToJsonChunks) so a large program's text is never held whole.
import { placedAt } from "../columns.ts";
import { columnsOf } from "../columns-build.ts";
import type { ChipProgram, Placed, Program, StreamRef } from "../isa.ts";
import { toBase64 } from "./data.ts";
import { FIELDS, JSON_FORMAT, JSON_VERSION, type Json } from "./json-fields.ts";
import { formatNumber, queueName, streamName } from "./names.ts";

const jsonNumber = (x: number): Json => (Number.isFinite(x) && !Object.is(x, -0) ? x : formatNumber(x));

function instToJson(p: Placed): Json {
  const i = p.inst as unknown as Record<string, unknown>;
  const o: { [k: string]: Json } = { op: p.inst.op };
  for (const [key, kind] of FIELDS[p.inst.op]) {
    const v = i[key];
    if (v === undefined) continue;
    if (kind === "stream" || (kind === "operand" && typeof v === "object"))
      o[key] = streamName(v as StreamRef);
    else if (kind === "operand") o[key] = jsonNumber(v as number);
    else o[key] = v as Json;
  }
  if (p.cycle !== undefined) o.cycle = p.cycle;
  if (p.span) o.span = [p.span.start, p.span.end];
  if (p.note !== undefined) o.note = p.note;
  return o;
}

export function programToJson(p: Program): string {
  return [...programToJsonChunks(p)].join("");
}

/** The text of programToJson in pieces, one chip at a time (its JSON built only while it is written): a large
 * program's text passes the longest string V8 holds, and a JSON copy of every instruction at once doubles memory. */
export function* programToJsonChunks(p: Program): Generator<string> {
  const maps: { [k: string]: Json } = {};
  for (const k of Object.keys(p.maps).sort()) maps[k] = [...p.maps[k]!];
  // The document's keys in order, `chips` last: the same text as layout() of the whole document.
  const head: [string, Json][] = [
    ["format", JSON_FORMAT],
    ["version", JSON_VERSION],
    ["arch", p.arch],
    ["maps", maps],
    ["wires", p.wires.map((w) => ({ a: w.a, link: w.link, b: w.b, peerLink: w.peerLink }))],
  ];
  yield "{\n";
  for (const [k, v] of head) yield `  ${JSON.stringify(k)}: ${layout(v, "  ")},\n`;
  if (p.chips.length === 0) {
    yield `  "chips": []\n}\n`;
    return;
  }
  yield `  "chips": [\n`;
  for (let j = 0; j < p.chips.length; j++)
    yield `    ${layout(chipToJson(p.chips[j]!), "    ")}${j + 1 < p.chips.length ? ",\n" : "\n"}`;
  yield "  ]\n}\n";
}

function chipToJson(c: ChipProgram): Json {
  return {
    chip: c.chip,
    ...(c.copyOf ? { copyOf: { chip: c.copyOf.chip, shift: c.copyOf.shift } } : {}),
    data: c.data.map((d) => ({
      slice: d.slice,
      addr: d.addr,
      ...(d.label !== undefined ? { label: d.label } : {}),
      bytes: toBase64(d.bytes),
    })),
    outputs: c.outputs.map((o) => ({
      name: o.name,
      type: o.type,
      slices: [...o.slices],
      addr: o.addr,
      words: o.words,
    })),
    queues: c.queues.map((q) => {
      const cols = columnsOf(q);
      return {
        queue: queueName(q.queue),
        instructions: Array.from({ length: cols.count }, (_, k) => instToJson(placedAt(cols, k))),
      };
    }),
  };
}

/** Pretty JSON, except that leaf records (an instruction, a data block, a wire, a lane map) stay on one line. */
function layout(v: Json, indent: string): string {
  if (v === null || typeof v !== "object" || isLeaf(v)) return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + layout(x, inner)).join(",\n")}\n${indent}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return "{}";
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${layout(v[k]!, inner)}`).join(",\n")}\n${indent}}`;
}

function isLeaf(v: Json[] | { [k: string]: Json }): boolean {
  if (Array.isArray(v)) return v.every((x) => typeof x === "number");
  return Object.values(v).every(
    (x) => x === null || typeof x !== "object" || (Array.isArray(x) && isLeaf(x)),
  );
}
