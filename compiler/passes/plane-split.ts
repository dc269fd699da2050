// How many MXM planes one output tile's K chain runs over on a chip: in, the machine's numbers (`planeTiming`) and
// the chain (its K tiles, rows, types, the groups of its product beside it on the chip); out, the planes it takes.
// One rule for the tiles (tile-columns.ts) and the spread's estimate (spread-timeline.ts), so they agree.
import type { Machine } from "../../arch/machine.ts";
import { convertWidthOf } from "./allocate-wide.ts";

/** The machine numbers the rule reads (`planeTiming`): plain data, so a placement's cache key can hold them. */
export interface PlaneTiming {
  readonly planes: number;
  /** MXM planes west and east of the VXM: a plane's weights reach it on the streams flowing toward its side. */
  readonly planesBySide: readonly number[];
  readonly streamsPerDirection: number;
  readonly tileRows: number;
  /** Rows a cycle a stored 16-bit weight loads, and an 8-bit one converted on the VXM on its way. */
  readonly maxLoadWidth: number;
  readonly convertWidth: number;
  readonly installLatency: number;
  /** MXM cycles per activation vector of an 8-bit and of a 16-bit type. */
  readonly cyclesPerVector8: number;
  readonly cyclesPerVector16: number;
  /** A partial-sum task's fixed cycles on the path: its read's latency, the trip from a MEM slice to the VXM and
   * back (up to a hemisphere's MEM slices each way: the allocator may put the partial on any of them), the
   * write's latency. */
  readonly roundTrip: number;
  readonly addLatency: number;
}

const timings = new WeakMap<Machine, PlaneTiming>();

export function planeTiming(m: Machine): PlaneTiming {
  const got = timings.get(m);
  if (got) return got;
  const vxm = m.sliceOrder.indexOf("vxm");
  const count = (kind: string, west: boolean) =>
    m.sliceOrder.filter((k, p) => k === kind && (vxm < 0 || p < vxm === west)).length;
  const planesBySide = vxm < 0 ? [m.mxm.planes] : [count("mxm", true), count("mxm", false)];
  const memBySide = vxm < 0 ? count("mem", true) : Math.max(count("mem", true), count("mem", false));
  const t: PlaneTiming = {
    planes: m.mxm.planes,
    planesBySide: planesBySide.filter((n) => n > 0),
    streamsPerDirection: m.streamsPerDirection,
    tileRows: m.mxm.rows,
    maxLoadWidth: m.mxm.maxLoadWidth,
    convertWidth: convertWidthOf(m),
    installLatency: m.mxm.installLatency,
    cyclesPerVector8: m.mxm.cyclesPerVector.int8,
    cyclesPerVector16: m.mxm.cyclesPerVector.fp16,
    roundTrip: m.mem.readLatency + 2 * memBySide + m.mem.writeLatency,
    addLatency: m.vxm.latency.simple,
  };
  timings.set(m, t);
  return t;
}

/** The planes each of a chip's `groups` MXM groups takes for its `kTiles` K tiles when every idle plane is used:
 * the idle ones shared evenly (a product's groups counted once for the tiles, pack.ts and the spread's time line:
 * product-groups.ts; a column split's chip takes at most this many, where they gain: `planeSplits`). */
export function evenPlaneSplits(planes: number, groups: number, kTiles: number): number {
  return groups < planes ? Math.max(1, Math.min(kTiles, Math.floor(planes / groups))) : 1;
}

/** One output group's K chain on its chip (a column tile and row chunk of a product). */
export interface PlaneChain {
  /** The product's groups on the chip (output column tiles x row chunks): each holds a plane for its chain. */
  readonly groups: number;
  readonly kTiles: number;
  /** Activation rows of one group. */
  readonly rows: number;
  readonly weightBytes: number;
  readonly activationBytes: number;
  /** A computed weight (an activation used as the weight) loads one row a cycle. */
  readonly computedWeight: boolean;
  /** Groups of other products on the chip's planes at the same time, split alike (a heavy pair kept in place,
   * in-place.ts `besideTiles`: gate's and up's tiles on one chip); none when absent. */
  readonly beside?: number;
}

/** Cycles a group's chain of K tiles takes split over `splits` planes, with the product's other groups beside it. */
export function chainCycles(t: PlaneTiming, c: PlaneChain, splits: number): number {
  // A stored 8-bit weight is converted to the activation type on the VXM on its way (allocate-round.ts).
  const converted = !c.computedWeight && c.weightBytes === 1;
  const width = c.computedWeight ? 1 : converted ? t.convertWidth : t.maxLoadWidth;
  const load = Math.ceil(t.tileRows / width);
  const abc = c.rows * (c.activationBytes === 1 ? t.cyclesPerVector8 : t.cyclesPerVector16);
  // One plane alone: the next tile's load overlaps this tile's activations, then the install.
  const alone = Math.max(load, abc) + t.installLatency;
  const atOnce = loadsAtOnce(t, c);
  const chains = Math.min(t.planes, c.groups * splits);
  const perTile = Math.max(alone, Math.ceil(chains / atOnce) * load);
  return Math.ceil(c.kTiles / splits) * perTile;
}

/** How many of a chip's planes load a weight tile of chain c at once: planes loading at once share their side's
 * streams with the activations they pass: a 16-bit load 8 rows a cycle takes 16 of a direction's 32, so one load a
 * side goes at a time beside them; a converted 8-bit one 6. */
function loadsAtOnce(t: PlaneTiming, c: PlaneChain): number {
  const converted = !c.computedWeight && c.weightBytes === 1;
  const width = c.computedWeight ? 1 : converted ? t.convertWidth : t.maxLoadWidth;
  const loadStreams = width * (converted ? c.activationBytes : c.weightBytes);
  const perSide = Math.max(1, Math.floor((t.streamsPerDirection - c.activationBytes) / loadStreams));
  return t.planesBySide.reduce((sum, n) => sum + Math.min(n, perSide), 0);
}

/** Cycles the task adding `splits` fp32 partial sums puts on the path beyond the chain: its round trip through
 * SRAM and the VXM, an add per further part, a cycle per row. */
export function partialSumCycles(t: PlaneTiming, c: PlaneChain, splits: number): number {
  return splits > 1 ? t.roundTrip + (splits - 1) * t.addLatency + c.rows : 0;
}

/**
 * The planes a group's K chain runs over: of 1 .. (the idle planes, shared evenly among the product's groups on
 * the chip), the count whose chain and partial-sum task end soonest; 1 on a tie. With fewer planes free than the
 * K tiles need, splitting trades a shorter chain for one more VXM task a group: llama2-7b's bf16 q, k and v, 2 of
 * 13 column tiles a chip, 13 K tiles of a 40-cycle load each, ran slower split (their loads share the streams),
 * and an fp8 product's 26 K tiles of a 107-cycle converted load gain.
 *
 * With as many groups as planes or more (the chip's groups and those `beside` them), the chains run in rounds of a
 * chain a plane: of 1 .. planes splits, the count whose rounds of chains and partial-sum task end soonest. Six fp8
 * groups of 26 K tiles (a heavy pair's three column tiles each, kept in place over four nodes) take two rounds of
 * 26 tiles whole, three rounds of 13 split in two; eight take two rounds either way (not split).
 */
export function planeSplits(t: PlaneTiming, c: PlaneChain): number {
  const all = { ...c, groups: c.groups + (c.beside ?? 0) };
  if (all.groups >= t.planes) return roundSplits(t, all);
  const most = evenPlaneSplits(t.planes, all.groups, c.kTiles);
  let best = 1;
  let bestCycles = chainCycles(t, all, 1);
  for (let s = 2; s <= most; s++) {
    const cycles = chainCycles(t, all, s) + partialSumCycles(t, all, s);
    if (cycles < bestCycles) [best, bestCycles] = [s, cycles];
  }
  return best;
}

/** Splits of a chain whose chip holds `c.groups` groups, at least a plane's worth (planeSplits): none when its
 * loads share the streams (fewer planes load at once than there are: the streams, not the planes, bound the chains,
 * and a split adds no stream; llama2-7b's bf16 products split so took 8% longer). */
function roundSplits(t: PlaneTiming, c: PlaneChain): number {
  if (loadsAtOnce(t, c) < t.planes) return 1;
  const rounds = (s: number) => Math.ceil((c.groups * s) / t.planes);
  let best = 1;
  let bestCycles = rounds(1) * chainCycles(t, c, 1);
  for (let s = 2; s <= Math.min(t.planes, c.kTiles); s++) {
    const cycles = rounds(s) * chainCycles(t, c, s) + partialSumCycles(t, c, s);
    if (cycles < bestCycles) [best, bestCycles] = [s, cycles];
  }
  return best;
}
