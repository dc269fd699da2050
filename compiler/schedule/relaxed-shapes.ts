// A task's shape as the relaxed runs need it (relaxed.ts): in, a task (or its unit-run copy, bounds.ts `unitRuns`)
// and an MXM plane; out, a few integers per step solved once from geometry.ts per distinct shape, not per task.
// Guarantees: equal to what placement.ts reads from the geometry for a relaxed placement, field for field.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { assertNever } from "../../util/assert.ts";
import type { BlockPlacement, Placement, Step, Task } from "../passes/task-ir.ts";
import { unitRuns } from "./bounds.ts";
import { type Geometry, onPlane, taskGeometry } from "./geometry.ts";
import {
  abcResultOffset,
  lastEventOffset,
  linkLeaves,
  mxmCyclesPerVector,
  runEndOffset,
  writeReadableOffset,
} from "./timing.ts";

/** Words of a shape's record on one plane before its steps: the largest relative issue cycle (the last issue is
 * the start plus it), the end (start plus it: the cycle after the last event), the run end (start plus it:
 * runEndOffset's, where an occupancy outlasts the events). */
export const HEAD = 3;
/** Words per step: the smallest relative issue of its instances (its terms bound the start by their value less
 * it), then two offsets from the start of what placing it sets (see `effects`). */
export const PER_STEP = 3;
/** A step's smallest relative issue before an instance is seen: above every relative cycle. */
const NO_STEP = 2 ** 30;

/**
 * Distinct shapes and their records: shape s on plane k (k = 0 without a plane) is
 * `data[offset[s] + k * (HEAD + PER_STEP * steps)]` onwards. Two tasks whose keys (`shapeKey`) are equal have one
 * geometry on every plane: every input of taskGeometry and onPlane that reaches a relative cycle, an instance's
 * timing or an effect is in the key (each step's kind, types, runs, operands, link, and its SRAM block's slices
 * and width); the SRAM addresses, rows and tiles, which only name words, are not.
 */
export class ShapeTable {
  readonly offset: number[] = [];
  readonly data: number[] = [];
  private readonly ids = new Map<string, number>();
  /** Per SRAM block (by object), the key of its slices and width. */
  private readonly blockKeys = new Map<BlockPlacement, string>();

  constructor(
    private readonly m: Machine,
    private readonly placements: ReadonlyMap<string, Placement>,
  ) {}

  /** The block key of a MEM step's block (interned: one string per block object). */
  blockKey(b: BlockPlacement): string {
    let k = this.blockKeys.get(b);
    if (k === undefined) {
      k = `${b.width ?? 1}:${b.slices.join(",")}`;
      this.blockKeys.set(b, k);
    }
    return k;
  }

  /** The shape id of `task` (its unit-run copy when `unit`), with an MXM plane per record when `planes` > 0;
   * `blocks[si]` the block key of step si (MEM steps). Solved from geometry.ts the first time the key is met. */
  shapeOf(task: Task, unit: boolean, planes: number, blocks: readonly string[]): number {
    const key = shapeKey(task, unit, planes, blocks);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.offset.length;
      this.ids.set(key, id);
      this.offset.push(this.data.length);
      const t = unit ? unitRuns(task) : task;
      if (planes === 0) this.record(t, taskGeometry(this.m, t, this.placements, undefined));
      else {
        const first = taskGeometry(this.m, t, this.placements, 0);
        this.record(t, first);
        for (let k = 1; k < planes; k++) this.record(t, onPlane(this.m, t, first, k));
      }
    }
    return id;
  }

  /** Appends the record of the task on one geometry (what placement.ts find and place read from it, relaxed). */
  private record(t: Task, geo: Geometry): void {
    const { m, data } = this;
    const at = data.length;
    const steps = t.steps.length;
    data.push(0, 0, 0);
    // (Not Infinity: a small integer keeps the array one of small integers.)
    for (let si = 0; si < steps; si++) data.push(NO_STEP, 0, 0);
    let maxRel = 0;
    let end = 0;
    let runEnd = 0;
    for (const inst of geo.instances) {
      const s = t.steps[inst.step]!;
      const rel = inst.rel;
      const w = at + HEAD + PER_STEP * inst.step;
      maxRel = Math.max(maxRel, rel);
      end = Math.max(end, rel + lastEventOffset(m, s, inst.spacing, inst.timing) + 1);
      runEnd = Math.max(runEnd, rel + runEndOffset(m, s, inst.spacing, inst.timing));
      data[w] = Math.min(data[w]!, rel);
      effects(m, s, rel, inst.timing.n, inst.timing.busy, data, w + 1);
    }
    data[at] = maxRel;
    data[at + 1] = end;
    data[at + 2] = runEnd;
  }
}

/**
 * What placing one instance of step `s` at relative issue `rel` sets, as offsets from the task's start (placement.ts
 * `place`, relaxed), into `out[w]` and `out[w + 1]`: a write, the cycle its tile is readable (the largest over its
 * instances); lw, the end of the load; iw, the staging buffer free and the weights installed; abc, the array free
 * and the results in; acc, the accumulators free; send, its issue; recv, its data's arrival after the send's
 * issue (not from the start: placement.ts `arrival`).
 */
function effects(m: Machine, s: Step, rel: number, n: number, busy: number, out: number[], w: number): void {
  switch (s.kind) {
    case "write":
      out[w] = Math.max(out[w]!, rel + writeReadableOffset(m, n > 0 ? n - 1 : 0));
      break;
    case "lw":
      out[w] = rel + busy;
      break;
    case "iw":
      out[w] = rel + 1;
      out[w + 1] = rel + m.mxm.installLatency;
      break;
    case "abc":
      out[w] = rel + s.n * mxmCyclesPerVector(m, s.type);
      out[w + 1] = rel + abcResultOffset(m, s.type, s.n - 1);
      break;
    case "acc":
      out[w] = rel + s.n;
      break;
    case "send":
      out[w] = rel;
      break;
    case "recv": {
      const b = ELEM_BYTES[s.type];
      let need0 = 0;
      for (let i = 0; i < s.n; i++) need0 = Math.max(need0, linkLeaves(m, (i + 1) * b - 1) - i);
      out[w] = need0 + m.c2c.latency;
      break;
    }
    default:
      break;
  }
}

/** The key of a task's shape: its steps as `unitRuns` would leave them when `unit` (runs of one vector), whether it
 * is tried on `planes` MXM planes, and its MEM steps' block keys. */
export function shapeKey(task: Task, unit: boolean, planes: number, blocks: readonly string[]): string {
  let key = `${planes}`;
  const steps = task.steps;
  for (let si = 0; si < steps.length; si++) {
    const s = steps[si]!;
    switch (s.kind) {
      case "read":
        key += `|r${s.type} ${unit ? 1 : s.ref.n} ${blocks[si]}`;
        break;
      case "write":
        key += `|w${s.type} ${unit ? 1 : s.ref.n} ${s.src} ${blocks[si]}`;
        break;
      case "gather":
        key += `|g${s.type} ${unit ? 1 : s.ref.n} ${s.map} ${blocks[si]}`;
        break;
      case "vunary":
        key += `|u${s.fn} ${s.type} ${s.src} ${unit ? 1 : s.n}`;
        break;
      case "vbinary":
        key += `|b${s.fn} ${s.type} ${s.a} ${typeof s.b === "number" ? s.b : "i"} ${unit ? 1 : s.n}`;
        break;
      case "convert":
        key += `|c${s.from} ${s.to} ${s.src} ${unit ? 1 : s.n}`;
        break;
      case "lw":
        key += `|l${s.type} ${s.src} ${unit ? 1 : s.n} ${s.width ?? 1}`;
        break;
      case "iw":
        key += "|i";
        break;
      case "abc":
        key += `|a${s.type} ${s.src} ${unit ? 1 : s.n}`;
        break;
      case "acc":
        key += `|A${s.type} ${unit ? 1 : s.n}`;
        break;
      case "send":
        key += `|s${s.type} ${s.src} ${unit ? 1 : s.n} ${s.link}`;
        break;
      case "recv":
        key += `|v${s.type} ${unit ? 1 : s.n} ${s.link}`;
        break;
      default:
        return assertNever(s, "step");
    }
  }
  return key;
}
