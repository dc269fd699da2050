// Where the MXM planes' idle cycles go, per layer (explain.ts): in, a Schedule and each kernel op's layer; out, per
// layer the array's busy cycles and its idle cycles between two products, each gap charged to why the product after
// it started no sooner. Deterministic text lines.
import { cycleOf, OPCODES } from "../../arch/columns.ts";
import type { Schedule, TaskTimes } from "./schedule-ir.ts";

/** Causes, in the order a gap is charged: the product's inputs or weights not there yet (its `ready`), its plane's
 * state besides its own group's chain (its accumulator rows: `planeReady`), then the reservation that shifted it
 * (`waitedOn`), or `other` (a start held to its spaced reads' parity). */
const CAUSES = ["data", "mxm", "queue", "bank", "stream", "other"] as const;
type Cause = (typeof CAUSES)[number];

/** The gap [from, to) before a product issued at `issue` whose task started at `t.start`, by cause. */
export function chargeGap(t: TaskTimes, issue: number, from: number, to: number): [Cause, number][] {
  // The bounds are the task's start's: move the gap to the same frame.
  const shift = issue - t.start;
  const g0 = from - shift;
  const gap = to - from;
  const clamp = (x: number) => Math.min(gap, Math.max(0, x));
  const data = clamp(t.ready - g0);
  const mxm = clamp(t.planeReady - g0) - data;
  const rest = gap - data - mxm;
  const out: [Cause, number][] = [];
  if (data > 0) out.push(["data", data]);
  if (mxm > 0) out.push(["mxm", mxm]);
  if (rest > 0) out.push([t.waitedOn === "none" ? "other" : t.waitedOn, rest]);
  return out;
}

/** Per layer (by `layerOf` of the product's op), the array's busy cycles and its idle cycles between products by
 * cause; a plane's time before its first product and after its last is not counted. */
export function planeIdle(s: Schedule, layerOf: (op: string) => string): string[] {
  const times = new Map(s.tasks.map((t) => [t.task, t]));
  const rows = new Map<string, { busy: number; idle: Record<string, number>; end: number }>();
  for (const q of s.queues) {
    if (q.queue.kind !== "mxm") continue;
    const c = q.columns;
    let prevEnd = -1;
    for (let k = 0; k < c.count; k++) {
      if (OPCODES[c.op[k]!] !== "abc") continue;
      const issue = cycleOf(c, k)!;
      const note = c.note[k]!;
      const t = note >= 0 ? times.get(c.notes[note]!) : undefined;
      if (!t) continue;
      const name = layerOf(t.op) || "(top level)";
      let r = rows.get(name);
      if (!r) {
        r = { busy: 0, idle: {}, end: 0 };
        rows.set(name, r);
      }
      r.busy += q.busy[k]!;
      r.end = Math.max(r.end, t.end);
      if (prevEnd >= 0 && issue > prevEnd)
        for (const [cause, n] of chargeGap(t, issue, prevEnd, issue))
          r.idle[cause] = (r.idle[cause] ?? 0) + n;
      prevEnd = Math.max(prevEnd, issue + q.busy[k]!);
    }
  }
  const pad = (x: string, n: number) => (x.length >= n ? x : x + " ".repeat(n - x.length));
  const out = [
    "MXM arrays per layer: cycles busy with products; idle cycles between two products of a plane, charged to why",
    "the next one started no sooner: its inputs or weights (data), its accumulator rows (mxm), a reservation",
    "(queue, bank, stream) or its read phase (other)",
    `  ${pad("layer", 24)} ${pad("busy", 9)} ${pad("idle", 9)} | ${CAUSES.map((x) => pad(x, 8)).join(" ")}`,
  ];
  for (const [name, r] of [...rows].sort((a, b) => a[1].end - b[1].end || (a[0] < b[0] ? -1 : 1))) {
    const idle = CAUSES.reduce((a, x) => a + (r.idle[x] ?? 0), 0);
    out.push(
      `  ${pad(name, 24)} ${pad(String(r.busy), 9)} ${pad(String(idle), 9)} | ${CAUSES.map((x) => pad(String(r.idle[x] ?? 0), 8)).join(" ")}`,
    );
  }
  return out;
}
