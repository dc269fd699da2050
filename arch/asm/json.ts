// JSON form -> Program (docs/isa.md, "The JSON form"; the writer is json-write.ts): loading validates every field
// and reports LPU31xx diagnostics with the JSON path; `program` is present only when every field is valid.

import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import { ColumnsBuilder, columnQueue } from "../columns-build.ts";
import { copyProblems } from "../copies.ts";
import type {
  ChipProgram,
  DataInit,
  ElemType,
  Instruction,
  LinkWire,
  OutputRegion,
  Placed,
  Program,
  QueueProgram,
  StreamRef,
} from "../isa.ts";
import { fromBase64 } from "./data.ts";
import { FIELDS, type FieldKind, JSON_FORMAT, JSON_VERSION } from "./json-fields.ts";
import { M } from "./messages.ts";
import {
  isElemType,
  parseNumberText,
  parseQueueName,
  parseStreamName,
  SXM_OPS,
  VXM_BINARY,
  VXM_UNARY,
} from "./names.ts";

export { programToJson, programToJsonChunks } from "./json-write.ts";

/** Loads and validates the JSON form; `program` is present only when every field is valid. */
export function programFromJson(
  text: string,
  file: string,
): { program?: Program; diagnostics: Diagnostic[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { diagnostics: [diag(M.badJson, file, undefined, [(e as Error).message])] };
  }
  const v = new Validator(file);
  const program = v.program(doc);
  return v.diagnostics.length > 0 || !program ? { diagnostics: v.diagnostics } : { program, diagnostics: [] };
}

class Validator {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: string) {}

  fail(path: string, what: string): undefined {
    if (this.diagnostics.length < 50)
      this.diagnostics.push(diag(M.jsonShape, this.file, undefined, [path, what]));
    return undefined;
  }

  obj(x: unknown, path: string): Record<string, unknown> | undefined {
    if (x && typeof x === "object" && !Array.isArray(x)) return x as Record<string, unknown>;
    return this.fail(path, "expected an object");
  }

  arr(x: unknown, path: string): unknown[] | undefined {
    return Array.isArray(x) ? x : this.fail(path, "expected an array");
  }

  int(x: unknown, path: string, min: number): number | undefined {
    if (typeof x === "number" && Number.isSafeInteger(x) && x >= min) return x;
    return this.fail(
      path,
      min > Number.MIN_SAFE_INTEGER ? `expected a whole number >= ${min}` : "expected a whole number",
    );
  }

  str(x: unknown, path: string): string | undefined {
    return typeof x === "string" ? x : this.fail(path, "expected a string");
  }

  program(doc: unknown): Program | undefined {
    const o = this.obj(doc, "$");
    if (!o) return undefined;
    if (o.format !== JSON_FORMAT) this.fail("$.format", `expected "${JSON_FORMAT}"`);
    if (o.version !== JSON_VERSION) this.fail("$.version", `expected ${JSON_VERSION}`);
    const arch = this.str(o.arch, "$.arch");
    const maps: Record<string, number[]> = {};
    const mo = this.obj(o.maps, "$.maps");
    for (const [k, m] of Object.entries(mo ?? {})) {
      const lanes = this.arr(m, `$.maps.${k}`) ?? [];
      maps[k] = lanes.map((l, i) => this.int(l, `$.maps.${k}[${i}]`, 0) ?? 0);
    }
    const wires = (this.arr(o.wires, "$.wires") ?? []).map((w, i) => this.wire(w, `$.wires[${i}]`));
    const chips = (this.arr(o.chips, "$.chips") ?? []).map((c, i) => this.chip(c, `$.chips[${i}]`));
    if (arch === undefined || wires.includes(undefined) || chips.includes(undefined)) return undefined;
    const program = { arch, chips: chips as ChipProgram[], wires: wires as LinkWire[], maps };
    for (const why of copyProblems(program)) this.fail("$.chips", why);
    return program;
  }

  wire(x: unknown, path: string): LinkWire | undefined {
    const o = this.obj(x, path);
    if (!o) return undefined;
    const [a, link, b, peerLink] = (["a", "link", "b", "peerLink"] as const).map((k) =>
      this.int(o[k], `${path}.${k}`, 0),
    );
    if (a === undefined || link === undefined || b === undefined || peerLink === undefined) return undefined;
    return { a, link, b, peerLink };
  }

  chip(x: unknown, path: string): ChipProgram | undefined {
    const o = this.obj(x, path);
    if (!o) return undefined;
    const chip = this.int(o.chip, `${path}.chip`, 0);
    const data = (this.arr(o.data, `${path}.data`) ?? []).map((d, i) => this.data(d, `${path}.data[${i}]`));
    const outputs = (this.arr(o.outputs, `${path}.outputs`) ?? []).map((d, i) =>
      this.output(d, `${path}.outputs[${i}]`),
    );
    const queues = (this.arr(o.queues, `${path}.queues`) ?? []).map((q, i) =>
      this.queue(q, `${path}.queues[${i}]`),
    );
    let copyOf: ChipProgram["copyOf"];
    if (o.copyOf !== undefined) {
      const c = this.obj(o.copyOf, `${path}.copyOf`);
      const of = c ? this.int(c.chip, `${path}.copyOf.chip`, 0) : undefined;
      const shift = c ? this.int(c.shift, `${path}.copyOf.shift`, 0) : undefined;
      if (of === undefined || shift === undefined) return undefined;
      copyOf = { chip: of, shift };
    }
    if (chip === undefined || [data, outputs, queues].some((l) => l.includes(undefined))) return undefined;
    return {
      chip,
      ...(copyOf ? { copyOf } : {}),
      data: data as DataInit[],
      outputs: outputs as OutputRegion[],
      queues: queues as QueueProgram[],
    };
  }

  data(x: unknown, path: string): DataInit | undefined {
    const o = this.obj(x, path);
    if (!o) return undefined;
    const slice = this.int(o.slice, `${path}.slice`, 0);
    const addr = this.int(o.addr, `${path}.addr`, 0);
    const b64 = this.str(o.bytes, `${path}.bytes`);
    const bytes = b64 === undefined ? undefined : fromBase64(b64);
    if (b64 !== undefined && (!bytes || bytes.length === 0 || bytes.length % 320 !== 0))
      this.fail(`${path}.bytes`, "expected base64 of a whole number of 320-byte words");
    const label = o.label === undefined ? undefined : this.str(o.label, `${path}.label`);
    if (slice === undefined || addr === undefined || !bytes || bytes.length % 320 !== 0) return undefined;
    return { slice, addr, bytes, ...(label !== undefined ? { label } : {}) };
  }

  output(x: unknown, path: string): OutputRegion | undefined {
    const o = this.obj(x, path);
    if (!o) return undefined;
    const name = this.str(o.name, `${path}.name`);
    const type = this.type(o.type, `${path}.type`);
    const slices = (this.arr(o.slices, `${path}.slices`) ?? []).map((s, i) =>
      this.int(s, `${path}.slices[${i}]`, 0),
    );
    const addr = this.int(o.addr, `${path}.addr`, 0);
    const words = this.int(o.words, `${path}.words`, 1);
    if (
      name === undefined ||
      !type ||
      addr === undefined ||
      words === undefined ||
      slices.includes(undefined)
    )
      return undefined;
    return { name, type, slices: slices as number[], addr, words };
  }

  type(x: unknown, path: string): ElemType | undefined {
    return typeof x === "string" && isElemType(x)
      ? x
      : this.fail(path, 'expected an element type such as "fp16"');
  }

  queue(x: unknown, path: string): QueueProgram | undefined {
    const o = this.obj(x, path);
    if (!o) return undefined;
    const name = this.str(o.queue, `${path}.queue`);
    const queue = name === undefined ? undefined : parseQueueName(name);
    if (name !== undefined && !queue) this.fail(`${path}.queue`, 'expected a queue such as "mem3"');
    const list = this.arr(o.instructions, `${path}.instructions`) ?? [];
    // Each instruction goes into the queue's columns as it is read: no object per instruction is kept.
    const b = new ColumnsBuilder(list.length);
    let ok = true;
    for (let i = 0; i < list.length; i++) {
      const p = this.placed(list[i], `${path}.instructions[${i}]`);
      if (p) b.add(p.inst, p.cycle, p.note, p.span);
      else ok = false;
    }
    if (!queue || !ok) return undefined;
    return columnQueue(queue, b.finish());
  }

  placed(x: unknown, path: string): Placed | undefined {
    const o = this.obj(x, path);
    if (!o) return undefined;
    const op = o.op;
    if (typeof op !== "string" || !Object.hasOwn(FIELDS, op)) return this.fail(`${path}.op`, "unknown op");
    const inst: Record<string, unknown> = { op };
    let ok = true;
    for (const [key, kind] of FIELDS[op as Instruction["op"]]) {
      const v = this.field(o[key], `${path}.${key}`, kind);
      if (v === undefined) ok = ok && (kind === "map" || kind === "opt1") && o[key] === undefined;
      else inst[key] = v;
    }
    const known = new Set([
      "op",
      "cycle",
      "span",
      "note",
      ...FIELDS[op as Instruction["op"]].map(([k]) => k),
    ]);
    for (const k of Object.keys(o))
      if (!known.has(k)) ok = this.fail(`${path}.${k}`, `unknown field for '${op}'`) ?? false;
    if (op === "deskew" && typeof inst.n === "number" && inst.n > 1 && inst.period === undefined)
      ok = this.fail(`${path}.period`, "a deskew that repeats (n > 1) needs a period") ?? false;
    const cycle = o.cycle === undefined ? undefined : this.int(o.cycle, `${path}.cycle`, 0);
    const span = o.span === undefined ? undefined : this.span(o.span, `${path}.span`);
    const note = o.note === undefined ? undefined : this.str(o.note, `${path}.note`);
    if (!ok || (o.cycle !== undefined && cycle === undefined) || (o.span !== undefined && !span))
      return undefined;
    return {
      inst: inst as unknown as Instruction,
      ...(cycle !== undefined ? { cycle } : {}),
      ...(span ? { span } : {}),
      ...(note !== undefined ? { note } : {}),
    };
  }

  span(x: unknown, path: string): { start: number; end: number } | undefined {
    if (Array.isArray(x) && x.length === 2 && x.every((n) => Number.isSafeInteger(n) && n >= -1))
      return { start: x[0] as number, end: x[1] as number };
    return this.fail(path, "expected [start, end] offsets");
  }

  field(x: unknown, path: string, kind: FieldKind): unknown {
    const oneOf = (list: readonly string[]) =>
      typeof x === "string" && list.includes(x) ? x : this.fail(path, `expected one of ${list.join(", ")}`);
    switch (kind) {
      case "int0":
        return this.int(x, path, 0);
      case "int1":
        return this.int(x, path, 1);
      case "int":
        return this.int(x, path, Number.MIN_SAFE_INTEGER);
      case "stream":
        return this.stream(x, path);
      case "type":
        return this.type(x, path);
      case "token":
        return this.str(x, path);
      case "map":
        return x === undefined ? undefined : this.str(x, path);
      case "opt1":
        return x === undefined ? undefined : this.int(x, path, 1);
      case "bool":
        return typeof x === "boolean" ? x : this.fail(path, "expected true or false");
      case "operand":
        if (typeof x === "number") return x;
        if (typeof x === "string" && parseStreamName(x)) return parseStreamName(x);
        if (typeof x === "string" && ["inf", "-inf", "nan", "-0"].includes(x))
          return parseNumberText(x === "-0" ? "-0" : x);
        return this.fail(path, 'expected a stream such as "s3e" or a number');
      case "unary":
        return oneOf(VXM_UNARY);
      case "binary":
        return oneOf(VXM_BINARY);
      case "sxmfn":
        return oneOf(SXM_OPS);
    }
  }

  stream(x: unknown, path: string): StreamRef | undefined {
    const s = typeof x === "string" ? parseStreamName(x) : undefined;
    return s ?? this.fail(path, 'expected a stream such as "s3e"');
  }
}
