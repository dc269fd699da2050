// Relative cycles of a task's instances (geometry.ts): in, the instances under construction (positions, timings)
// and the flows between them; out, each instance's issue cycle relative to the task's start, the smallest 0, and
// each operand's direction. Guarantee: every flow delivers vector 0 exactly when its consumer takes it.
import type { UnitKind } from "../../arch/isa.ts";
import { invariant } from "../../util/assert.ts";
import type { Task } from "../passes/task-ir.ts";
import type { Flow, FlowGroup, Instance } from "./geometry.ts";
import type { StepTiming } from "./timing.ts";

/** An instance under construction: `rel` and `spacing` are filled in once the flows are known. */
export type Proto = { -readonly [K in keyof Instance]: Instance[K] };

export function proto0(
  step: number,
  byte: number,
  unit: UnitKind,
  index: number | undefined,
  pos: number,
  timing: StepTiming,
  addr: number,
  stride: number,
): Proto {
  return { step, byte, unit, index, pos, timing, rel: 0, spacing: 1, addr, stride };
}

/** The direction of an operand's flows from positions alone (relative cycles do not move an instance): "-" when
 * producer and consumer sit at one position. */
export function flowDirection(task: Task, proto: readonly Proto[], flows: readonly Flow[]): "e" | "w" | "-" {
  let dir: "e" | "w" | "-" | undefined;
  for (const f of flows) {
    const d = proto[f.to]!.pos - proto[f.from]!.pos;
    const fd = d > 0 ? "e" : d < 0 ? "w" : "-";
    if (dir !== undefined && dir !== fd)
      invariant(false, `${task.id}: the byte planes of one operand flow in different directions`);
    dir = fd;
  }
  return dir ?? "-";
}

/** Scratch for solveRel (one task at a time): grown, never shrunk. */
let relScratch = new Int32Array(64);
let knownScratch = new Uint8Array(64);

/**
 * Relative cycles: walk the flows from the root outwards, and shift so that the smallest is 0 (set in each
 * proto's `rel`). Each value is consumed exactly once, a MEM step feeds a MEM step only plane by plane (a gather's
 * words to a write) and a gather's map comes from one VXM instance, so the instances and flows form a tree (up to
 * a flow per byte of one pair, which agree): every order of the walk gives the same cycles.
 */
export function solveRel(task: Task, proto: Proto[], groups: readonly FlowGroup[]): void {
  const count = proto.length;
  if (relScratch.length < count) {
    relScratch = new Int32Array(Math.max(count, 2 * relScratch.length));
    knownScratch = new Uint8Array(relScratch.length);
  }
  const rel = relScratch;
  const known = knownScratch;
  rel.fill(0, 0, count);
  known.fill(0, 0, count);
  known[count - 1] = 1;
  let assigned = 1;
  // Consumers come after their producers, so a sweep from the last group backwards usually settles in one pass.
  for (let changed = true; changed; ) {
    changed = false;
    for (let gi = groups.length - 1; gi >= 0; gi--) {
      const flows = groups[gi]!.flows;
      for (let fi = 0; fi < flows.length; fi++) {
        const f = flows[fi]!;
        const p = proto[f.from]!;
        const c = proto[f.to]!;
        const hops = Math.abs(c.pos - p.pos);
        // consumer takes vector 0 at rel_c + inOffset_c; producer puts it out at rel_p + outOffset_p, hops earlier.
        if (known[f.to] === 1 && known[f.from] === 0) {
          rel[f.from] = rel[f.to]! + c.timing.inOffset - hops - p.timing.outOffset;
          known[f.from] = 1;
          changed = true;
          assigned++;
        } else if (known[f.from] === 1 && known[f.to] === 0) {
          rel[f.to] = rel[f.from]! + p.timing.outOffset + hops - c.timing.inOffset;
          known[f.to] = 1;
          changed = true;
          assigned++;
        }
      }
    }
  }
  if (assigned !== count) invariant(false, `${task.id}: steps not joined by streams`);
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < count; i++) if (rel[i]! < min) min = rel[i]!;
  for (let i = 0; i < count; i++) proto[i]!.rel = rel[i]! - min;
}
