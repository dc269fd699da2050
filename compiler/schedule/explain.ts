// Where a schedule's cycles go, as text: per layer (graph scope) the busy cycles per unit kind and the cycles tasks
// waited beyond their dependencies (on a queue, an SRAM bank, a stream, an MXM plane), per unit kind the busy and
// idle fractions, the critical chain of tasks that ends last, and a Gantt chart of the first cycles per queue.
// In: a Schedule, the machine, and each kernel op's layer. Out: deterministic text.
import { cycleOf, F_N, nOf, OPCODES } from "../../arch/columns.ts";
import type { Instruction } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import { planeIdle } from "./explain-planes.ts";
import {
  instAt,
  type QueueInsts,
  queueName,
  type Schedule,
  type ScheduledInst,
  type TaskTimes,
} from "./schedule-ir.ts";

const KINDS = ["mem", "vxm", "mxm", "sxm", "c2c"] as const;
type Kind = (typeof KINDS)[number];
/** Causes of a wait beyond a task's dependencies: a resource that forced a shift, or its MXM plane's state. */
type Wait = Exclude<TaskTimes["waitedOn"], "none"> | "mxm";
const WAITS: readonly Wait[] = ["queue", "bank", "stream", "mxm"];

/** A task's waits beyond its dependencies by cause: first for its MXM plane, then for the resource that shifted it. */
function waitsOf(t: TaskTimes): [Wait, number][] {
  const out: [Wait, number][] = [];
  if (t.planeReady > t.ready) out.push(["mxm", t.planeReady - t.ready]);
  if (t.start > t.planeReady && t.waitedOn !== "none") out.push([t.waitedOn, t.start - t.planeReady]);
  return out;
}

export interface ExplainOptions {
  /** Cycles the Gantt chart covers from cycle 0. */
  readonly ganttCycles: number;
  /** Characters per chart row. */
  readonly width: number;
  /** Layer of each kernel op id ("" at top level). */
  readonly layerOf: (op: string) => string;
}

export function explainSchedule(s: Schedule, m: Machine, opts: ExplainOptions): string {
  const out: string[] = [];
  const units: Record<string, number> = {
    mem: 0,
    vxm: m.vxm.alus,
    mxm: m.mxm.planes,
    sxm: m.sxm.units,
    c2c: m.c2c.links,
  };
  units.mem = m.sliceOrder.filter((k) => k === "mem").length;
  const chips = Math.max(1, s.graph.chips);

  // Per layer.
  const layers = new Map<
    string,
    { busy: Record<string, number>; wait: Record<string, number>; end: number }
  >();
  const layer = (op: string) => {
    const name = opts.layerOf(op) || "(top level)";
    let l = layers.get(name);
    if (!l) {
      l = { busy: {}, wait: {}, end: 0 };
      layers.set(name, l);
    }
    return l;
  };
  const busyKind: Record<string, number> = {};
  for (const q of s.queues) {
    const kind = q.queue.kind;
    // Per note (a task), its layer: looked up once per task of the queue, not per instruction.
    const layerOfNote = Array.from(q.noteTask, (t) => layer(t >= 0 ? s.graph.tasks[t]!.op : "deskew"));
    for (let k = 0; k < q.columns.count; k++) {
      const l = layerOfNote[q.columns.note[k]!]!;
      const w = workCycles(q, k);
      l.busy[kind] = (l.busy[kind] ?? 0) + w;
      busyKind[kind] = (busyKind[kind] ?? 0) + w;
    }
  }
  for (const t of s.tasks) {
    const l = layer(t.op);
    for (const [cause, n] of waitsOf(t)) l.wait[cause] = (l.wait[cause] ?? 0) + n;
    l.end = Math.max(l.end, t.end);
  }
  out.push(`where the ${s.cycles} cycles go (${s.count} instructions on ${chips} chip(s))`, "");
  out.push(
    "per layer: unit-cycles busy by unit kind; task cycles spent waiting beyond their dependencies, by cause",
  );
  out.push(
    `  ${pad("layer", 24)} ${KINDS.map((k) => pad(k, 9)).join(" ")} | ${WAITS.map((w) => pad(`wait ${w}`, 12)).join(" ")} | ends`,
  );
  for (const [name, l] of [...layers].sort((a, b) => a[1].end - b[1].end || (a[0] < b[0] ? -1 : 1)))
    out.push(
      `  ${pad(name, 24)} ${KINDS.map((k) => pad(String(l.busy[k] ?? 0), 9)).join(" ")} | ${WAITS.map((w) => pad(String(l.wait[w] ?? 0), 12)).join(" ")} | ${l.end}`,
    );
  out.push("", ...planeIdle(s, opts.layerOf));
  out.push("", "per unit kind: busy unit-cycles / (units x cycles); the rest is idle");
  for (const k of KINDS) {
    const cap = units[k]! * chips * s.cycles;
    const b = busyKind[k] ?? 0;
    out.push(
      `  ${pad(k, 4)} ${pad(`${units[k]! * chips} units`, 10)} busy ${pct(b, cap)}  idle ${pct(cap - b, cap)}`,
    );
  }

  // The critical chain: from the task that ends last, step back to the predecessor that ended last before it.
  const times = new Map(s.tasks.map((t) => [t.task, t]));
  const tasks = new Map(s.graph.tasks.map((t) => [t.id, t]));
  let cur = [...s.tasks].sort((a, b) => b.end - a.end || (a.task < b.task ? -1 : 1))[0];
  const chain: TaskTimes[] = [];
  while (cur) {
    chain.push(cur);
    const preds = (tasks.get(cur.task)?.after ?? []).map((a) => times.get(a)!).filter((t) => t !== undefined);
    cur = preds.sort((a, b) => b.end - a.end || (a.task < b.task ? -1 : 1))[0];
  }
  out.push(
    "",
    `critical chain (${chain.length} tasks, last first): start..end, waited beyond dependencies and why`,
  );
  for (const t of chain.slice(0, 40))
    out.push(`  ${pad(t.task, 36)} ${pad(`${t.start}..${t.end}`, 14)} ${waited(t)}`.trimEnd());
  if (chain.length > 40) out.push(`  ... ${chain.length - 40} more`);

  out.push("", gantt(firstInsts(s, opts.ganttCycles), opts.ganttCycles, opts.width));
  if (chips > 1) out.push("", ...perChip(s, m));
  return `${out.join("\n")}\n`;
}

/** Cycles row k of queue q works: its busy cycles, except a repeated deskew, which acts once per repetition and
 * only holds its queue in between. */
function workCycles(q: QueueInsts, k: number): number {
  const c = q.columns;
  if (OPCODES[c.op[k]!] !== "deskew") return q.busy[k]!;
  return c.flags[k]! & F_N ? nOf(c, k) : 1;
}

/** The instructions issued before cycle `cycles`, in the order the scheduler placed them (the chart draws the
 * last to touch a character). */
function firstInsts(s: Schedule, cycles: number): ScheduledInst[] {
  const picked: { seq: number; q: QueueInsts; k: number }[] = [];
  for (const q of s.queues)
    for (let k = 0; k < q.columns.count && cycleOf(q.columns, k)! < cycles; k++)
      picked.push({ seq: q.seq[k]!, q, k });
  return picked.sort((a, b) => a.seq - b.seq).map((x) => instAt(s.graph, x.q, x.k));
}

/** Per chip, when its tasks run and how busy its MXM planes are meanwhile: on a pipeline, the stages one after
 * another show as chips whose spans follow each other, and a chip whose span is long but whose planes idle waits
 * on something else (the op that ends last names the stage's end). */
function perChip(s: Schedule, m: Machine): string[] {
  const chipOf = new Map(s.graph.tasks.map((t) => [t.id, t.chip]));
  const spans = new Map<number, { start: number; end: number; last: string; mxm: number }>();
  for (const t of s.tasks) {
    const chip = chipOf.get(t.task) ?? 0;
    const c = spans.get(chip) ?? { start: t.start, end: t.end, last: t.op, mxm: 0 };
    c.start = Math.min(c.start, t.start);
    if (t.end > c.end || (t.end === c.end && t.op < c.last)) c.last = t.op;
    c.end = Math.max(c.end, t.end);
    spans.set(chip, c);
  }
  for (const q of s.queues)
    if (q.queue.kind === "mxm" && spans.has(q.chip))
      for (let k = 0; k < q.columns.count; k++) spans.get(q.chip)!.mxm += q.busy[k]!;
  const lines = [
    "per chip: first task start .. last task end, MXM planes busy over that span, the op that ends last",
  ];
  for (const [chip, c] of [...spans].sort((a, b) => a[0] - b[0]))
    lines.push(
      `  ${pad(`chip${chip}`, 8)} ${pad(`${c.start}..${c.end}`, 18)} mxm busy ${pad(pct(c.mxm, m.mxm.planes * Math.max(1, c.end - c.start)), 7)} ${c.last}`,
    );
  return lines;
}

/** One row per queue that works in the window, by chip, unit kind and queue number; each character covers
 * ceil(cycles / width) cycles (the last instruction to touch a character's cycles names it). */
export function gantt(insts: readonly ScheduledInst[], cycles: number, width: number): string {
  const per = Math.max(1, Math.ceil(cycles / width));
  const cols = Math.ceil(cycles / per);
  const rows = new Map<string, string[]>();
  for (const i of insts) {
    const c = symbol(i.inst);
    if (i.cycle >= cycles || c === ".") continue;
    const key = `chip${i.chip} ${queueName(i.queue)}`;
    let row = rows.get(key);
    if (!row) {
      row = new Array<string>(cols).fill(".");
      rows.set(key, row);
    }
    if (i.inst.op === "deskew") {
      // Only the cycles it deskews: in between, its queue waits.
      for (let k = 0; k < (i.inst.n ?? 1) && i.cycle + k * (i.inst.period ?? 1) < cycles; k++)
        row[Math.floor((i.cycle + k * (i.inst.period ?? 1)) / per)] = c;
      continue;
    }
    for (let t = i.cycle; t < Math.min(cycles, i.cycle + Math.max(1, i.busy)); t++)
      row[Math.floor(t / per)] = c;
  }
  // Chip first, then unit kind in KINDS order, then the queue's number: chip10 after chip9, mem10 after mem9.
  const parts = (k: string) => {
    const [chip, queue] = k.split(" ") as [string, string];
    const kind = queue.replace(/[0-9]+$/, "");
    return [Number(chip.slice("chip".length)), KINDS.indexOf(kind as Kind), Number(queue.slice(kind.length))];
  };
  const keys = [...rows.keys()].sort((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  const legend = [...LEGEND.map(([c, what]) => `${c} ${what}`), ". idle"].join(", ");
  const lines = [`Gantt chart, cycles 0..${cycles - 1}, ${per} cycle(s) per character (${legend})`];
  for (const k of keys) lines.push(`  ${pad(k, 12)} |${rows.get(k)!.join("")}|`);
  return lines.join("\n");
}

/** The chart's characters and what each stands for, in legend order. */
const LEGEND = [
  ["R", "read"],
  ["W", "write"],
  ["V", "VXM op"],
  ["L", "lw"],
  ["I", "iw"],
  ["A", "abc"],
  ["C", "acc"],
  ["S", "SXM"],
  [">", "send"],
  ["<", "recv"],
  ["Y", "sync/notify/deskew"],
] as const;
type Symbol = (typeof LEGEND)[number][0];

/** A nop is a queue waiting: idle, and not drawn. */
function symbol(i: Instruction): Symbol | "." {
  switch (i.op) {
    case "read":
    case "gather":
      return "R";
    case "write":
    case "scatter":
      return "W";
    case "vunary":
    case "vbinary":
    case "convert":
    case "vaccum":
      return "V";
    case "lw":
      return "L";
    case "iw":
      return "I";
    case "abc":
      return "A";
    case "acc":
      return "C";
    case "sxm":
      return "S";
    case "send":
      return ">";
    case "recv":
      return "<";
    case "sync":
    case "notify":
    case "deskew":
      return "Y";
    case "nop":
      return ".";
    default:
      return assertNever(i, "instruction");
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function pct(a: number, b: number): string {
  return `${b > 0 ? ((100 * a) / b).toFixed(1) : "0.0"}%`;
}

/** `waited N (mxm a, stream b)` for a task that waited beyond its dependencies, else nothing. */
function waited(t: TaskTimes): string {
  const parts = waitsOf(t);
  if (parts.length === 0) return "";
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  return `waited ${total} (${parts.map(([cause, n]) => (parts.length === 1 ? cause : `${cause} ${n}`)).join(", ")})`;
}
