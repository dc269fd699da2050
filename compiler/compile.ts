// The compiler back end, top to bottom: a model graph and a machine -> a Program for the simulator plus a report
// (predicted cycles, lower bounds). It reads as its list of passes; each pass is pure, can be printed after
// (`printAfter`) and checked after (`verifyEach`), and reports user-facing problems as diagnostics.
import type { Program } from "../arch/isa.ts";
import type { Machine } from "../arch/machine.ts";
import type { Diagnostic } from "../util/diagnostics.ts";
import { diag, hasErrors } from "../util/diagnostics.ts";
import { emitProgram, type Sources } from "./emit/program.ts";
import { printProgramSummary } from "./emit/summary.ts";
import type { ModelGraph } from "./graph/ir.ts";
import { type PassTime, PassTimer } from "./pass-timer.ts";
import { allocate, sramBytesPerChip } from "./passes/allocate.ts";
import { taskLengths } from "./passes/allocate-estimate.ts";
import { decompose } from "./passes/decompose.ts";
import { type KernelGraph, printKernelGraph, verifyKernelGraph } from "./passes/kernel-ir.ts";
import type { EmbeddingChips } from "./passes/lower-embedding.ts";
import { M } from "./passes/messages.ts";
import {
  type PartitionedGraph,
  type PartitionStrategy,
  partition,
  printPartition,
  usableBytesPerChip,
} from "./passes/partition.ts";
import { type ReducedRepeat, reduceRepeat } from "./passes/reduce-repeat.ts";
import { nodeSize, placeStages } from "./passes/stages.ts";
import { printTaskGraph, type TaskGraph, verifyTaskGraph } from "./passes/task-ir.ts";
import { tile } from "./passes/tile.ts";
import { verifyAccOrder } from "./schedule/acc-order.ts";
import { type CompileReport, computeBounds, withDataOrder } from "./schedule/bounds.ts";
import { dependencies, dependenciesLike } from "./schedule/dependencies.ts";
import { type ModelWork, modelWork } from "./schedule/model-work.ts";
import { prepareRelaxed, relaxedRun } from "./schedule/relaxed.ts";
import { printSchedule, type Schedule, verifySchedule } from "./schedule/schedule-ir.ts";
import { schedule } from "./schedule/scheduler.ts";
import { verifySramOrder } from "./schedule/sram-order.ts";
import { stampProgram } from "./schedule/stamp.ts";
import { type ChainLayout, chainedPath } from "./schedule/stamp-bound.ts";
import { orderCrossings } from "./schedule/stamp-order.ts";
import { stampedReport } from "./schedule/stamp-report.ts";
import { linkWordTime } from "./schedule/timing.ts";

/** The passes, in order: the names `--print-after` accepts. */
export const PASSES = ["decompose", "partition", "tile", "allocate", "schedule", "emit"] as const;
export type PassName = (typeof PASSES)[number];

export interface CompileOptions {
  readonly chips: number;
  /** The model file's name, for diagnostics. */
  readonly file: string;
  /** Seeded source values to load into SRAM (omit for a timing-only program with no data). */
  readonly sources?: Sources;
  readonly printAfter?: readonly PassName[];
  readonly verifyEach?: boolean;
  /** How to spread the model over the chips (partition.ts); default `auto`. */
  readonly partition?: PartitionStrategy;
  /** Time each step (pass-timer.ts): `timings` in the result. */
  readonly timePasses?: boolean;
  /** Tests only: the value the model inputs' padding lanes (past their last column, in the last column tile) hold
   * in the emitted SRAM images, zero otherwise, so a test can show no op reads them (row-ops.test.ts). A stamped
   * program's copies (stamp.ts) keep zeros. */
  readonly inputPadding?: number;
}

export interface CompileResult {
  readonly program?: Program;
  readonly schedule?: Schedule;
  readonly tasks?: TaskGraph;
  readonly kernel?: KernelGraph;
  readonly report?: CompileReport;
  readonly diagnostics: readonly Diagnostic[];
  /** The smallest chip count the partitioner fits the model on (set once the partition pass ran, also when the
   * given chips are too few: LPU5001 says the same in words). */
  readonly minChips?: number;
  /** What `printAfter` asked for, in pass order. */
  readonly printed: readonly { readonly pass: PassName; readonly text: string }[];
  /** With `timePasses`: each step's CPU and wall seconds, in the order the steps first ran. */
  readonly timings?: readonly PassTime[];
}

/** A broken internal invariant found by --verify-each: a compiler bug, not a user error. */
export class VerifyError extends Error {}

export function compile(model: ModelGraph, machine: Machine, opts: CompileOptions): CompileResult {
  const timer = new PassTimer(opts.timePasses === true);
  const result = compileTimed(model, machine, opts, timer);
  return opts.timePasses ? { ...result, timings: timer.results() } : result;
}

function compileTimed(
  model: ModelGraph,
  machine: Machine,
  opts: CompileOptions,
  timer: PassTimer,
): CompileResult {
  const diagnostics: Diagnostic[] = [];
  const printed: { pass: PassName; text: string }[] = [];
  const after = <T>(pass: PassName, value: T, print: (v: T) => string, verify: (v: T) => string[]): T => {
    if (opts.printAfter?.includes(pass)) printed.push({ pass, text: print(value) });
    if (opts.verifyEach) {
      const broken = verify(value);
      if (broken.length > 0) throw new VerifyError(`after pass '${pass}':\n  ${broken.join("\n  ")}`);
    }
    return value;
  };
  const failed = () => hasErrors(diagnostics);
  let minChips: number | undefined;
  const time = timer.time.bind(timer);
  const stop = (): CompileResult => ({ diagnostics, printed, minChips });

  const d = time("decompose", () =>
    decompose(model, opts.file, { gatherRows: gatherRows(machine), embeddingChips: embeddingChips(machine) }),
  );
  diagnostics.push(...d.diagnostics);
  if (failed()) return stop();
  const kernel = after("decompose", d.kernel, printKernelGraph, verifyKernelGraph);
  // The model's work for the report's bounds, from the graph before decompose (model-work.ts).
  const work = modelWork(model, machine);
  // What the passes after decompose said and printed, dropped when auto compiles again with pack.
  const [decomposed, printedDecomposed] = [diagnostics.length, printed.length];

  let spread = false;
  const first = partitionAndBack(opts.partition);
  if (first.program || (opts.partition ?? "auto") !== "auto") return first;
  // auto's spread (or layers) placement comes from an SRAM estimate (pack.ts counts every tensor allocate places,
  // but not all of its layout: a block taller than a slice's free run, space stranded below wide blocks): when the
  // chips it chose overflow once allocated (LPU5005), the packing on the fewest chips is compiled instead, and a
  // warning says so; the estimate's miss is a partitioner limit, not the user's error. When auto chose the packing
  // itself (`spread` false), it fills the fewest chips up to the same estimate: with more chips given, the spread
  // over them is compiled instead (gpt2-small, prefill of 32 at batch 2, `--chips 8`: the packing's 3 chips found
  // no slice group for a gelu's block); its errors stand when that fails too. Also on exactly the packing's chips:
  // LPU5001 names them as the fewest that fit (that same gpt2-small at `--chips 2` said 3, where the packing fails
  // and the spread over 3 compiles).
  const full = diagnostics.filter((x) => x.code === M.sliceFull.code).map((x) => x.message);
  if (full.length === 0) return first;
  const packedChips = minChips;
  if (!spread && (packedChips === undefined || packedChips > opts.chips)) return first;
  const firstSaid = diagnostics.splice(decomposed);
  const firstShown = printed.splice(printedDecomposed);
  if (spread) {
    diagnostics.push(diag(M.spreadOverflow, opts.file, undefined, [kernel.name, full[0]!]));
    return partitionAndBack("pack");
  }
  diagnostics.push(
    diag(M.packOverflow, opts.file, undefined, [kernel.name, packedChips!, full[0]!, opts.chips]),
  );
  const retried = partitionAndBack("spread");
  if (retried.program) return retried;
  diagnostics.splice(decomposed, diagnostics.length - decomposed, ...firstSaid);
  printed.splice(printedDecomposed, printed.length - printedDecomposed, ...firstShown);
  return first;

  function partitionAndBack(strategy: PartitionStrategy | undefined): CompileResult {
    const p = time("partition", () => partition(kernel, machine, opts.chips, opts.file, strategy));
    minChips = p.partitioned.minChips;
    spread = p.partitioned.spread;
    diagnostics.push(...p.diagnostics);
    if (failed()) return stop();
    after("partition", p.partitioned, printPartition, () => []);
    // `layers` with 3 or more units: the passes below see unit 0 alone (its output read by the ops after the
    // repeat), else unit 0 and the last, and stamp.ts copies unit 0 for the others. One unit costs half the
    // schedule; it fails where unit 0's sends into the ops after the repeat are not those into a unit (LPU5010).
    const unit = p.partitioned.groups?.unit;
    for (const units of [1, 2] as const) {
      const reduced = unit ? time("reduce", () => reduceRepeat(kernel, unit, units)) : undefined;
      if (!reduced) continue;
      // `layers` places the reduced model as the full model's groups (also when auto chose them, which it would
      // not for one or two units).
      const r = time("partition", () =>
        partition(reduced.kernel, machine, opts.chips, opts.file, "layers", unit),
      );
      // Placed as the full model's groups or not at all (then compiled whole, as when it cannot be stamped).
      const g = r.partitioned.groups;
      if (!g || g.base !== p.partitioned.groups?.base || g.width !== p.partitioned.groups.width) continue;
      const [said, shown] = [diagnostics.length, printed.length];
      const out = backEnd(r.partitioned, reduced, units === 1);
      if (out) return out;
      // What the one-unit attempt said and printed is dropped: the two-unit one comes next.
      if (units === 1) {
        diagnostics.length = said;
        printed.length = shown;
      }
    }
    return backEnd(p.partitioned, undefined) ?? stop();
  }

  /** tile .. emit; with `reduced`, the stamped program, or undefined when it cannot be stamped (then LPU5010,
   * unless `retry`: the two-unit reduction comes next). */
  function backEnd(
    partitioned: PartitionedGraph,
    reduced: ReducedRepeat | undefined,
    retry = false,
  ): CompileResult | undefined {
    const groups = partitioned.groups;
    const chain =
      reduced && groups
        ? {
            base: groups.base,
            width: groups.width,
            units: reduced.repeat.count / groups.unit,
            reduced: reduced.units,
          }
        : undefined;
    const staged = time("tile", () => placeStages(tile(partitioned, machine), partitioned, machine));
    const tiled = after("tile", staged, printTaskGraph, verifyTaskGraph);
    // A stamped unit sends its output in the order it received its input (stamp-order.ts): an order, not data, so
    // the relaxed runs below take their edges from `tiled`, without it.
    const ordered = chain ? time("order", () => orderCrossings(tiled, chain.base, chain.width)) : tiled;

    // Each task's estimated length, once: allocate's turns, the relaxed runs and the schedule's priorities read the
    // same lengths (allocation leaves them as they are, allocate-estimate.ts). The edges likewise: the allocated
    // list's are allocate's input's (cached here) where allocate added none, looked up only where it did.
    const lengths = time("lengths", () => taskLengths(ordered.tasks, machine));
    const deps = time("deps", () => dependencies(ordered.tasks));
    const a = time("allocate", () => allocate(ordered, machine, opts.file, { lengths, deps }));
    diagnostics.push(...a.diagnostics);
    if (failed()) return stop();
    const allocated = after("allocate", a.graph, printTaskGraph, verifyTaskGraph);
    time("deps", () => dependencies(allocated.tasks, ordered.tasks));
    // The report's relaxed runs come before the schedule: they allocate much short-lived data, and the garbage
    // collector's passes cost less while the heap does not yet hold the scheduled instructions.
    const paths = time("relaxed", () => relaxedPaths(allocated, machine, tiled, chain, lengths));

    const placed = time("schedule", () => schedule(allocated, machine, { lengths, priorityEdges: deps }));
    const scheduled = after("schedule", placed, printSchedule, (s) => [
      ...verifySchedule(s),
      ...verifySramOrder(s, machine),
      ...verifyAccOrder(s, machine),
    ]);

    const emitted = time("emit", () => emitProgram(scheduled, machine, opts.sources, opts.inputPadding));
    const report = {
      // Stamped (reduced), only the report's cycles, critical path and diagnosis are kept: stampedReport replaces
      // the bounds, whose model work is the whole model's while these chips are the reduced program's.
      ...time("report", () => compileReport(work, allocated, scheduled, machine, tiled, paths)),
      minChips,
    };
    if (!reduced || !groups) {
      const program = after("emit", emitted, printProgramSummary, () => []);
      return {
        program,
        schedule: scheduled,
        tasks: allocated,
        kernel,
        report,
        diagnostics,
        printed,
        minChips,
      };
    }
    const layout = {
      name: reduced.repeat.name,
      count: reduced.repeat.count,
      reduced: reduced.units,
      ...groups,
    };
    const stamped = time("stamp", () => stampProgram(emitted, allocated, layout, machine, opts.sources));
    if ("why" in stamped) {
      if (!retry) diagnostics.push(diag(M.notStamped, opts.file, undefined, [kernel.name, stamped.why]));
      return undefined;
    }
    const program = after("emit", stamped.program, printProgramSummary, () => []);
    const full = {
      ...time("report", () => stampedReport(report, kernel, allocated, stamped, machine, work)),
      minChips,
    };
    // The schedule and tasks are the reduced model's (unit 0 and the last); the program and report the full one's.
    return {
      program,
      schedule: scheduled,
      tasks: allocated,
      kernel,
      report: full,
      diagnostics,
      printed,
      minChips,
    };
  }
}

/** The relaxed schedules' lengths (bounds.ts; relaxed.ts runs both on one prepared graph, shapes shared): the
 * critical path (every run one vector) and the decomposition path (full runs). `beforeAllocate`: the same tasks
 * without allocate's reuse edges (a later tenant's writers after the earlier tenant's readers): SRAM space is a
 * resource, so both leave that order out (their edges otherwise `g`'s, whose index the schedule of `g` reuses).
 * `chain`: the graph is the reduced model of a stamped program of that many units, and both are the full
 * program's chain of units (stamp-bound.ts). `lengths`: the tasks' estimated lengths (allocate-estimate.ts), when
 * the caller has them. */
export function relaxedPaths(
  g: TaskGraph,
  m: Machine,
  beforeAllocate?: TaskGraph,
  chain?: ChainLayout,
  lengths?: Float64Array,
): RelaxedPaths {
  const data = beforeAllocate ? withDataOrder(g, beforeAllocate) : g;
  const rg = prepareRelaxed(data, m, dependenciesLike(data.tasks, g.tasks), lengths);
  if (chain)
    return {
      criticalPath: chainedPath(rg, chain, true),
      decompositionPath: chainedPath(rg, chain, false),
    };
  return {
    criticalPath: relaxedRun(rg, { unitRuns: true }).cycles,
    decompositionPath: relaxedRun(rg, { unitRuns: false }).cycles,
  };
}

export interface RelaxedPaths {
  readonly criticalPath: number;
  readonly decompositionPath: number;
}

/** `beforeAllocate` as for `relaxedPaths`; `paths`: its result, when the caller ran it already. */
export function compileReport(
  work: ModelWork,
  g: TaskGraph,
  s: Schedule,
  m: Machine,
  beforeAllocate?: TaskGraph,
  paths: RelaxedPaths = relaxedPaths(g, m, beforeAllocate),
): CompileReport {
  const bounds = computeBounds(g, paths.criticalPath, m, work);
  const diagnosis = { decompositionPath: paths.decompositionPath };
  const entries = Object.entries(bounds) as [keyof typeof bounds, number][];
  const [boundName, lowerBound] = entries.reduce((best, e) => (e[1] > best[1] ? e : best));
  const instructionsPerChip = new Array<number>(g.chips).fill(0);
  for (const q of s.queues) instructionsPerChip[q.chip]! += q.columns.count;
  const latencyUs = s.cycles / m.clockMHz;
  return {
    model: g.name,
    arch: m.name,
    chips: g.chips,
    cycles: s.cycles,
    latencyUs,
    tokensPerS: latencyUs > 0 ? (g.tokensPerPass * 1e6) / latencyUs : 0,
    instructionsPerChip,
    instructions: s.count,
    sramBytesPerChip: sramBytesPerChip(g, m),
    bounds,
    diagnosis,
    lowerBound,
    boundName,
    efficiency: s.cycles > 0 ? lowerBound / s.cycles : 0,
    flops: work.flops,
  };
}

/**
 * Rows of one id range of an embedding table (lower-embedding.ts): the largest divisor of a bank's words not
 * above two weight blocks (512 on tsp-v1). A range's column tile is one run of a slice, so ranges that divide the
 * slice stack without gaps; the partitioner keeps only about a weight block per slice (plus 6%) for space that
 * runs strand, and whole-bank ranges (4,096 rows) and 640-row ones left chips that fit by bytes with a slice group
 * too short for the next range (LPU5005 on llama2-7b and bert-base). Within a bank, so a gather mostly holds one.
 */
export function gatherRows(m: Machine): number {
  const bank = m.mem.wordsPerSlice / m.mem.banksPerSlice;
  let best = 1;
  for (let r = 1; r <= Math.min(bank, 2 * m.mxm.rows); r++) if (bank % r === 0) best = r;
  return best;
}

/** The chips an embedding's ranges may spread over: a node's directly linked ones (partition.ts's node), each
 * one's usable SRAM, and a link's latency and cycles a word. */
export function embeddingChips(m: Machine): EmbeddingChips {
  const word = linkWordTime(m);
  return {
    chips: nodeSize(m),
    bytes: usableBytesPerChip(m),
    linkLatency: m.c2c.latency,
    wordCycles: word.num / word.den,
  };
}
