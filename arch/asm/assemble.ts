// `.lasm` text -> Program (arch/isa.ts) plus diagnostics. Statements apply in order: `.arch` first, `.chip N` and
// `.queue NAME` choose where the following data and instructions go. A program is returned only without errors.
import { type Diagnostic, hasErrors, type Span, sortDiagnostics } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import { ColumnsBuilder, columnQueue } from "../columns-build.ts";
import { machineFromName } from "../derive.ts";
import type { ChipProgram, DataInit, LinkWire, OutputRegion, Program, QueueRef } from "../isa.ts";
import type { Machine } from "../machine.ts";
import { presetNames, queueCount, TSP_V1 } from "../presets.ts";
import { readData, readMap, readOutput } from "./data.ts";
import { readInstruction } from "./instructions.ts";
import { M } from "./messages.ts";
import { mnemonicOf, parseQueueName, queueName, unitOf } from "./names.ts";
import { Reader, splitOptions, text } from "./operands.ts";
import { parseStatements } from "./statements.ts";

interface QueueBuild {
  readonly queue: QueueRef;
  readonly columns: ColumnsBuilder;
}

export const DIRECTIVES = [".arch", ".chip", ".copy", ".queue", ".data", ".output", ".wire", ".map"];

interface ChipBuild {
  chip: number;
  copyOf?: { chip: number; shift: number; span: Span };
  /** Each queue's instructions, written into its columns as they are read (arch/columns.ts). */
  queues: Map<string, QueueBuild>;
  data: DataInit[];
  outputs: OutputRegion[];
}

export function assemble(source: string, file: string): { program?: Program; diagnostics: Diagnostic[] } {
  const parsed = parseStatements(source, file);
  const diagnostics = parsed.diagnostics;
  const r = new Reader(file, diagnostics);
  let arch: string | undefined;
  let machine: Machine = TSP_V1;
  const chips = new Map<number, ChipBuild>();
  const wires: LinkWire[] = [];
  const maps: Record<string, number[]> = {};
  const mapUses: { name: string; span: { start: number; end: number } }[] = [];
  let chip: ChipBuild | undefined;
  let queue: QueueBuild | undefined;

  const chipOf = (n: number): ChipBuild => {
    let c = chips.get(n);
    if (!c) {
      c = { chip: n, queues: new Map(), data: [], outputs: [] };
      chips.set(n, c);
    }
    return c;
  };
  const current = (): ChipBuild => {
    chip ??= chipOf(0);
    return chip;
  };

  parsed.statements.forEach((st, index) => {
    if (st.kind === "instruction") {
      if (!queue) {
        r.report(M.noQueue, st.span);
        return;
      }
      const inst = readInstruction(r, st, machine);
      const cycle = st.cycle ? r.int(st.cycle, "issue cycle", 0, st.cycle.span) : undefined;
      if (!inst || (st.cycle && cycle === undefined)) return;
      const unit = unitOf(inst);
      if (unit !== undefined && unit !== queue.queue.kind) {
        r.report(M.wrongQueue, st.mnemonicSpan, [
          mnemonicOf(inst),
          unit.toUpperCase(),
          queueName(queue.queue),
        ]);
        return;
      }
      if (inst.op === "sxm" && inst.map !== undefined) {
        const name = inst.map;
        const item = st.operands.find(
          (o) => (o.kind === "kw" ? o.value : o).kind === "name" && text(o).endsWith(name),
        );
        mapUses.push({ name, span: item?.span ?? st.span });
      }
      queue.columns.add(inst, cycle, st.note, st.span);
      return;
    }
    const first = st.groups[0]?.[0];
    switch (st.name) {
      case ".arch": {
        if (arch !== undefined || index !== 0) {
          r.report(M.archTwice, st.nameSpan);
          return;
        }
        const name = r.name(first, ".arch", st.span);
        if (name === undefined) return;
        arch = name;
        const m = machineFromName(name);
        if (m) machine = m;
        else r.report(M.unknownArch, first!.span, [name], didYouMean(name, presetNames()));
        return;
      }
      case ".chip": {
        const n = r.int(first, "chip number", 0, st.span);
        if (n !== undefined) {
          chip = chipOf(n);
          queue = undefined;
        }
        return;
      }
      case ".copy": {
        // `.copy C shift=S`: this chip runs chip C's queues S cycles later, except those it lists (arch/copies.ts).
        const { positional, options } = splitOptions(r, st.groups.flat(), ".copy", ["shift"]);
        const of = r.int(positional[0], "chip number", 0, st.span);
        const shiftItem = options.get("shift");
        const shift = shiftItem ? r.int(shiftItem, "shift", 0, shiftItem.span) : 0;
        if (positional[1]) r.report(M.extraArg, positional[1].span, [text(positional[1]), ".copy C shift=S"]);
        if (of !== undefined && shift !== undefined) current().copyOf = { chip: of, shift, span: st.span };
        return;
      }
      case ".queue": {
        const name = r.name(first, ".queue", st.span);
        if (name === undefined) return;
        const q = parseQueueName(name);
        if (!q) {
          const kinds = ["mem", "vxm", "mxm", "sxm", "c2c"];
          const guess = kinds.map((k) => `${k}${/\d+$/.exec(name)?.[0] ?? "0"}`);
          r.report(M.unknownQueue, first!.span, [name], didYouMean(name, guess));
          return;
        }
        const count = queueCount(machine, q.kind);
        if (q.index >= count) {
          const has = count === 0 ? `no ${q.kind} queues` : `${q.kind}0..${q.kind}${count - 1}`;
          r.report(M.noSuchQueue, first!.span, [machine.name, name, has]);
          return;
        }
        const c = current();
        const key = queueName(q);
        let qb = c.queues.get(key);
        if (!qb) {
          qb = { queue: q, columns: new ColumnsBuilder() };
          c.queues.set(key, qb);
        }
        queue = qb;
        return;
      }
      case ".data": {
        const inits = readData(r, st, machine);
        if (inits) current().data.push(...inits);
        return;
      }
      case ".output": {
        const out = readOutput(r, st, machine);
        if (!out) return;
        const c = current();
        if (c.outputs.some((o) => o.name === out.name))
          r.report(M.duplicateOutput, first!.span, [out.name, c.chip]);
        else c.outputs.push(out);
        return;
      }
      case ".wire": {
        const ends = [st.groups[0]?.[0], st.groups[1]?.[0]].map((it) => {
          if (it?.kind !== "link") {
            r.report(M.badWire, it?.span ?? st.span, [it ? text(it) : ""]);
            return undefined;
          }
          const q = parseQueueName(it.link);
          const chipNo = r.int(it.chip, "chip number", 0, it.span);
          if (q?.kind !== "c2c" || chipNo === undefined) {
            if (chipNo !== undefined) r.report(M.badWire, it.span, [text(it)]);
            return undefined;
          }
          if (q.index >= machine.c2c.links) {
            r.report(M.noSuchQueue, it.linkSpan, [
              machine.name,
              it.link,
              `c2c0..c2c${machine.c2c.links - 1}`,
            ]);
            return undefined;
          }
          return { chip: chipNo, link: q.index, span: it.span };
        });
        const [a, b] = ends;
        if (!a || !b) return;
        for (const e of [a, b]) {
          const used = wires.some(
            (w) => (w.a === e.chip && w.link === e.link) || (w.b === e.chip && w.peerLink === e.link),
          );
          if (used || (a !== e && a.chip === e.chip && a.link === e.link)) {
            r.report(M.wireTwice, e.span, [e.link, e.chip]);
            return;
          }
        }
        wires.push({ a: a.chip, link: a.link, b: b.chip, peerLink: b.link });
        return;
      }
      case ".map": {
        const mp = readMap(r, st, machine);
        if (!mp) return;
        if (Object.hasOwn(maps, mp.name)) r.report(M.duplicateMap, first!.span, [mp.name]);
        else maps[mp.name] = mp.map;
        return;
      }
      default:
        r.report(M.unknownDirective, st.nameSpan, [st.name], didYouMean(st.name, DIRECTIVES));
    }
  });

  for (const use of mapUses) {
    if (!Object.hasOwn(maps, use.name))
      r.report(M.unknownMap, use.span, [use.name], didYouMean(use.name, Object.keys(maps)));
  }
  for (const c of chips.values()) {
    const of = c.copyOf && chips.get(c.copyOf.chip);
    if (c.copyOf && !of) r.report(M.badCopy, c.copyOf.span, [`chip ${c.copyOf.chip} is not in the program`]);
    else if (c.copyOf && of?.copyOf)
      r.report(M.badCopy, c.copyOf.span, [`chip ${of.chip} is itself a copy: copy its original`]);
  }
  if (arch === undefined && parsed.statements.length > 0) r.report(M.noArch, { start: 0, end: 1 });
  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  const program: Program = {
    arch: arch ?? "tsp-v1",
    chips: [...chips.values()].map(
      (c): ChipProgram => ({
        chip: c.chip,
        ...(c.copyOf ? { copyOf: { chip: c.copyOf.chip, shift: c.copyOf.shift } } : {}),
        queues: [...c.queues.values()].map((qb) => columnQueue(qb.queue, qb.columns.finish())),
        data: c.data,
        outputs: c.outputs,
      }),
    ),
    wires,
    maps,
  };
  return { program, diagnostics: sorted };
}
