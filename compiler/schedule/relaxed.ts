// The relaxed schedule (bounds.ts: the critical path and the decomposition path; stamp-bound.ts: the chain of a
// stamped program's units) without the scheduler's machinery: in, a task graph prepared once (`prepareRelaxed`:
// edges, tiles, groups, each task's shape from relaxed-shapes.ts); out, per run each task's end and the run's
// length. Guarantees the cycles of scheduler.ts's `relaxed` option (test/compiler/schedule/relaxed.test.ts): the
// same placement order (priority, ties by index, among tasks whose `after` tasks are placed), every resource free,
// a task at the max of its terms (data written, MXM state of its group, a recv's data arrived), an MXM task on the
// plane where its last step issues first (the lowest plane on a tie).
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { Heap } from "../../util/heap.ts";
import { offHeapInt32, offHeapUint8 } from "../../util/off-heap.ts";
import {
  type BlockPlacement,
  blockOf,
  type Placement,
  type Task,
  type TaskGraph,
} from "../passes/task-ir.ts";
import { hasLongRun } from "./bounds.ts";
import { type Dependencies, dependencies } from "./dependencies.ts";
import { NO_INPUT } from "./plane-state.ts";
import { estimate, pathPriorities } from "./priority.ts";
import { HEAD, PER_STEP, ShapeTable } from "./relaxed-shapes.ts";
import { RowPieces } from "./row-pieces.ts";

/** What a step's terms read or its placement sets (per step of the prepared graph). */
const OTHER = 0;
const READ = 1;
const WRITE = 2;
const LW = 3;
const IW = 4;
const ABC_ACCUMULATE = 5;
const ABC = 6;
const ACC = 7;
const SEND = 8;
const RECV = 9;

/** A task graph as the relaxed runs read it, shared by both runs of a compile. */
export interface RelaxedGraph {
  readonly m: Machine;
  readonly tasks: readonly Task[];
  readonly deps: Dependencies;
  readonly chips: Int32Array;
  /** Task i's steps are `stepStart[i] .. stepStart[i + 1]` in `code` and `arg`. */
  readonly stepStart: Int32Array;
  readonly code: Uint8Array;
  /** The first dense row piece a read, gather or write touches (row-pieces.ts); a recv's send task by index. */
  readonly arg: Int32Array;
  /** The end of the pieces a read, gather or write touches: pieces arg .. argEnd - 1. */
  readonly argEnd: Int32Array;
  /** Dense MXM group id per task (numbered as first met; -1: none), and whether it ends its group. */
  readonly group: Int32Array;
  readonly groupEnd: Uint8Array;
  readonly groups: number;
  /** Row pieces in all (row-pieces.ts). */
  readonly tiles: number;
  /** Chips talk: nothing issues in cycle 0 (the deskew's). */
  readonly multiChip: boolean;
  /** The shapes' records (relaxed-shapes.ts ShapeTable: `offset` per shape, `data` as typed integers). */
  readonly shapeOffset: Int32Array;
  readonly shapeData: Int32Array;
  /** Per task its shape, and that of its unit-run copy (bounds.ts `unitRuns`). */
  readonly shape: Int32Array;
  readonly unitShape: Int32Array;
  /** Per task its estimated length (priority.ts `estimate`), and that of its unit-run copy. */
  readonly estimate: Int32Array;
  readonly unitEstimate: Int32Array;
}

/** `lengths`: each task's `estimate` (full runs), when the caller has them (compile.ts computes them once). */
export function prepareRelaxed(
  g: TaskGraph,
  m: Machine,
  deps = dependencies(g.tasks),
  lengths?: ArrayLike<number>,
): RelaxedGraph {
  const tasks = g.tasks;
  const n = tasks.length;
  const placements = new Map<string, Placement>((g.placements ?? []).map((p) => [p.tensor, p]));
  // Per tensor its placement and its first tile's dense id (one lookup per MEM step).
  const tensors = new Map<string, { placement: Placement | undefined }>();
  for (const t of g.tensors) tensors.set(t.id, { placement: placements.get(t.id) });
  const pieces = new RowPieces(g.tensors);
  const shapes = new ShapeTable(m, placements);
  const chips = offHeapInt32(n);
  const stepStart = offHeapInt32(n + 1);
  for (let i = 0; i < n; i++) stepStart[i + 1] = stepStart[i]! + tasks[i]!.steps.length;
  const code = offHeapUint8(stepStart[n]!);
  const arg = offHeapInt32(stepStart[n]!);
  const argEnd = offHeapInt32(stepStart[n]!);
  const group = offHeapInt32(n).fill(-1);
  const groupEnd = offHeapUint8(n);
  const groupIds = new Map<string, number>();
  const shape = offHeapInt32(n);
  const unitShape = offHeapInt32(n);
  const estimates = offHeapInt32(n);
  const unitEstimates = offHeapInt32(n);
  let multiChip = false;
  const blocks: (BlockPlacement | undefined)[] = [];
  // The tensor of the last MEM step (consecutive steps and tasks mostly touch one tensor).
  let lastTensor: string | undefined;
  let tensor: { placement: Placement | undefined } | undefined;
  for (let i = 0; i < n; i++) {
    const t = tasks[i]!;
    chips[i] = t.chip;
    if (t.mxmGroup !== undefined) {
      // A group's tasks mostly follow each other: the previous task's group is checked before the map.
      let id = i > 0 && tasks[i - 1]!.mxmGroup === t.mxmGroup ? group[i - 1]! : groupIds.get(t.mxmGroup);
      if (id === undefined) {
        id = groupIds.size;
        groupIds.set(t.mxmGroup, id);
      }
      group[i] = id;
      if (t.mxmGroupEnd) groupEnd[i] = 1;
    }
    blocks.length = 0;
    const base = stepStart[i]!;
    for (let si = 0; si < t.steps.length; si++) {
      const s = t.steps[si]!;
      blocks.push(undefined);
      switch (s.kind) {
        case "read":
        case "gather":
        case "write": {
          if (s.ref.tensor !== lastTensor) {
            lastTensor = s.ref.tensor;
            tensor = tensors.get(lastTensor);
          }
          if (!tensor?.placement) invariant(false, `no placement for ${s.ref.tensor}`);
          blocks[si] = blockOf(tensor.placement, s.ref.tile, s.ref.row);
          code[base + si] = s.kind === "write" ? WRITE : READ;
          const [p0, p1] = pieces.range(s.ref, s.kind === "gather");
          arg[base + si] = p0;
          argEnd[base + si] = p1;
          break;
        }
        case "lw":
          code[base + si] = LW;
          break;
        case "iw":
          code[base + si] = IW;
          break;
        case "abc":
          code[base + si] = s.accumulate ? ABC_ACCUMULATE : ABC;
          break;
        case "acc":
          code[base + si] = ACC;
          break;
        case "send":
          code[base + si] = SEND;
          multiChip = true;
          break;
        case "recv": {
          const from = deps.index.get(s.from);
          if (from === undefined) invariant(false, `${t.id} receives from an unknown task ${s.from}`);
          code[base + si] = RECV;
          arg[base + si] = from;
          break;
        }
        default:
          code[base + si] = OTHER;
      }
    }
    const planes = t.mxmGroup !== undefined ? m.mxm.planes : 0;
    shape[i] = shapes.shapeOf(t, false, planes, blocks);
    const long = hasLongRun(t);
    unitShape[i] = long ? shapes.shapeOf(t, true, planes, blocks) : shape[i]!;
    estimates[i] = lengths ? lengths[i]! : estimate(t, m, false);
    unitEstimates[i] = long ? estimate(t, m, true) : estimates[i]!;
  }
  return {
    m,
    tasks,
    deps,
    chips,
    stepStart,
    code,
    arg,
    argEnd,
    group,
    groupEnd,
    groups: groupIds.size,
    tiles: pieces.count,
    multiChip,
    shapeOffset: Int32Array.from(shapes.offset),
    shapeData: Int32Array.from(shapes.data),
    shape,
    unitShape,
    estimate: estimates,
    unitEstimate: unitEstimates,
  };
}

export interface RelaxedRunOptions {
  /** Every run one vector (bounds.ts `unitRuns`): the critical path; without, the decomposition path. */
  readonly unitRuns: boolean;
  /** Tasks on chips from this one drop their constant terms (placement.ts `originOf`; stamp-bound.ts). */
  readonly chainFrom?: number;
  /** Told the cycle each recv's data arrives, with the recv and its send by index, as the recv is placed. */
  readonly onArrival?: (recv: number, send: number, cycle: number) => void;
}

export interface RelaxedRun {
  /** The cycle after the last event or occupancy: the relaxed schedule's length. */
  readonly cycles: number;
  /** Per task (by index) the cycle after its last event. */
  readonly ends: Int32Array;
}

export function relaxedRun(rg: RelaxedGraph, opts: RelaxedRunOptions): RelaxedRun {
  const { m, tasks, chips, stepStart, code, arg, argEnd, group, groupEnd, multiChip } = rg;
  const { shapeOffset: offset, shapeData: data } = rg;
  const { afterStart, succStart, succOf } = rg.deps;
  const shapeOf = opts.unitRuns ? rg.unitShape : rg.shape;
  const chainFrom = opts.chainFrom ?? Number.POSITIVE_INFINITY;
  const onArrival = opts.onArrival;
  const n = tasks.length;
  const planes = m.mxm.planes;
  // Priorities as priority.ts gives them (the estimated length plus the longest path after it); ties by index.
  const priority = pathPriorities(opts.unitRuns ? rg.unitEstimate : rg.estimate, succStart, succOf);
  const ready = new Heap<number>((a, b) => priority[b]! - priority[a]! || a - b);
  const pending = offHeapInt32(n);
  for (let i = 0; i < n; i++) {
    pending[i] = afterStart[i + 1]! - afterStart[i]!;
    if (pending[i] === 0) ready.push(i);
  }
  // A source is readable from cycle 0; on a chain's chips that constant is dropped like every other.
  const tileReady = offHeapInt32(rg.tiles).fill(chainFrom < Number.POSITIVE_INFINITY ? NO_INPUT : 0);
  const sendAt = offHeapInt32(n);
  const placed = offHeapUint8(n);
  const ends = offHeapInt32(n);
  // Each group's private plane state while it is open (placement.ts PlaneState and GroupState, relaxed).
  const open = offHeapUint8(rg.groups);
  const stagingFree = offHeapInt32(rg.groups);
  const arrayFree = offHeapInt32(rg.groups);
  const accFree = offHeapInt32(rg.groups);
  const lwEnd = offHeapInt32(rg.groups);
  const weightsReady = offHeapInt32(rg.groups);
  const resultsReady = offHeapInt32(rg.groups);
  let cycles = 0;

  /** The earliest start of task i on record `rec`: the max over its steps of each term less the step's first
   * relative issue (placement.ts `find`, relaxed: a write's reuse wait, a link's queue and every constant but the
   * origin are left out). */
  const startOn = (i: number, rec: number, origin: number, g: number): number => {
    let lower = origin === 0 ? (multiChip ? 1 : 0) : origin;
    const base = stepStart[i]!;
    const steps = stepStart[i + 1]! - base;
    for (let si = 0; si < steps; si++) {
      let term: number;
      switch (code[base + si]) {
        case READ: {
          const end = argEnd[base + si]!;
          term = tileReady[arg[base + si]!]!;
          for (let p = arg[base + si]! + 1; p < end; p++) term = Math.max(term, tileReady[p]!);
          break;
        }
        case LW:
          term = stagingFree[g]!;
          break;
        case IW:
          term = Math.max(lwEnd[g]!, arrayFree[g]!);
          break;
        case ABC_ACCUMULATE:
          term = weightsReady[g]!;
          break;
        case ABC:
          term = Math.max(weightsReady[g]!, accFree[g]!);
          break;
        case ACC:
          term = resultsReady[g]!;
          break;
        case RECV: {
          const from = arg[base + si]!;
          if (placed[from] === 0) invariant(false, `${tasks[i]!.id} receives from a task not placed`);
          term = Math.max(origin, sendAt[from]! + data[rec + HEAD + PER_STEP * si + 1]!);
          break;
        }
        default:
          continue;
      }
      const v = term - data[rec + HEAD + PER_STEP * si]!;
      if (v > lower) lower = v;
    }
    return lower;
  };

  for (let count = 0; count < n; count++) {
    const i = ready.pop();
    if (i === undefined) invariant(false, "relaxed run left tasks unplaced (a dependency cycle)");
    const origin = chips[i]! >= chainFrom ? NO_INPUT : 0;
    const g = group[i]!;
    const base = stepStart[i]!;
    const steps = stepStart[i + 1]! - base;
    let rec = offset[shapeOf[i]!]!;
    let start: number;
    if (g < 0) start = startOn(i, rec, origin, g);
    else {
      if (open[g] === 0) {
        open[g] = 1;
        stagingFree[g] = arrayFree[g] = accFree[g] = origin;
        lwEnd[g] = weightsReady[g] = resultsReady[g] = origin;
      }
      // Unlimited planes: the task goes to the plane position where its last step issues first.
      const size = HEAD + PER_STEP * steps;
      const first = rec;
      let bestIssue = Number.POSITIVE_INFINITY;
      start = 0;
      for (let k = 0; k < planes; k++) {
        const r = first + k * size;
        const s = startOn(i, r, origin, g);
        if (s + data[r]! < bestIssue) {
          bestIssue = s + data[r]!;
          rec = r;
          start = s;
        }
      }
    }
    for (let si = 0; si < steps; si++) {
      const w = rec + HEAD + PER_STEP * si;
      switch (code[base + si]) {
        case WRITE: {
          const v = start + data[w + 1]!;
          for (let p = arg[base + si]!; p < argEnd[base + si]!; p++) if (v > tileReady[p]!) tileReady[p] = v;
          break;
        }
        case LW:
          lwEnd[g] = start + data[w + 1]!;
          break;
        case IW:
          stagingFree[g] = start + data[w + 1]!;
          weightsReady[g] = start + data[w + 2]!;
          break;
        case ABC:
        case ABC_ACCUMULATE:
          arrayFree[g] = start + data[w + 1]!;
          resultsReady[g] = start + data[w + 2]!;
          break;
        case ACC:
          accFree[g] = start + data[w + 1]!;
          break;
        case SEND:
          sendAt[i] = start + data[w + 1]!;
          break;
        case RECV:
          onArrival?.(i, arg[base + si]!, sendAt[arg[base + si]!]! + data[w + 1]!);
          break;
        default:
          break;
      }
    }
    const end = start + data[rec + 1]!;
    ends[i] = end;
    cycles = Math.max(cycles, end, start + data[rec + 2]!);
    placed[i] = 1;
    if (g >= 0 && groupEnd[i] === 1) open[g] = 0;
    for (let k = succStart[i]!; k < succStart[i + 1]!; k++) {
      const s = succOf[k]!;
      if (--pending[s]! === 0) ready.push(s);
    }
  }
  return { cycles, ends };
}
