// Pass `emit`: Schedule (+ the seeded source values) -> Program of arch/isa.ts, the only hand-off to the simulator.
// Queues and instructions come out sorted (kind, index, cycle), each queue's as the typed-array columns the
// scheduler wrote (arch/columns.ts, inst-sink.ts); SRAM images are the seeded values laid out as the allocation
// placed them (byte planes in separate slices, one word per row per 320-lane column tile, zero padded); every model
// output is declared as one output region per SRAM block; chips that talk get wires.

import { columnQueue } from "../../arch/columns-build.ts";
import type {
  ChipProgram,
  DataInit,
  ElemType,
  LinkWire,
  OutputRegion,
  Program,
  QueueProgram,
} from "../../arch/isa.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { f32ToBf16Bits, f32ToF16Bits, f32ToFp8E4M3Bits } from "../../util/numeric.ts";
import type { Placement, TaskGraph, TiledTensor } from "../passes/task-ir.ts";
import { dependencies } from "../schedule/dependencies.ts";
import type { Schedule } from "../schedule/schedule-ir.ts";

/** Source values by graph node id (param, input, state), as the reference interpreter draws them. */
export type Sources = ReadonlyMap<string, ArrayLike<number>>;

/** `inputPadding` (tests only, compile.ts `inputPadding`): the value the model inputs' padding lanes hold in their
 * images instead of zero. */
export function emitProgram(
  s: Schedule,
  m: Machine,
  sources: Sources | undefined,
  inputPadding = 0,
): Program {
  const g = s.graph;
  const chips: ChipProgram[] = [];
  // The schedule's queues are sorted by chip first: one pass over them, not one per chip.
  let next = 0;
  const tensorById = new Map(g.tensors.map((t) => [t.id, t]));
  const placementsOf: Placement[][] = Array.from({ length: g.chips }, () => []);
  // An output in parts on several chips (a column split left in place) names every region by its tile.
  const split = new Set(
    g.outputs.filter((o, i) => g.outputs.findIndex((x) => x.name === o.name) !== i).map((o) => o.name),
  );
  for (const p of g.placements ?? []) placementsOf[p.chip]!.push(p);
  for (let chip = 0; chip < g.chips; chip++) {
    const queues: QueueProgram[] = [];
    // Each queue's columns as the scheduler wrote them (inst-sink.ts: sorted by cycle), shared, not copied.
    for (; next < s.queues.length && s.queues[next]!.chip === chip; next++)
      queues.push(columnQueue(s.queues[next]!.queue, s.queues[next]!.columns));
    const placements = placementsOf[chip]!;
    const placementOf = new Map(placements.map((p) => [p.tensor, p]));
    const data = sources
      ? sourceImages(placements, tensorById, g.constants, sources, m.lanes, undefined, inputPadding)
      : [];
    const outputs: OutputRegion[] = [];
    for (const o of g.outputs) {
      const p = placementOf.get(o.tensor);
      if (!p) continue;
      const t = tensorById.get(o.tensor)!;
      for (const b of p.blocks)
        outputs.push({
          name: p.blocks.length === 1 && !split.has(o.name) ? o.name : `${o.name}#t${b.tile}.r${b.row0}`,
          type: t.type,
          slices: b.slices,
          addr: b.addr,
          words: b.rows,
        });
    }
    chips.push({ chip, queues, data, outputs });
  }
  invariant(
    next === s.queues.length,
    `an instruction on chip ${s.queues[next]?.chip}, beyond the ${g.chips} chips`,
  );
  return { arch: m.name, chips, wires: wiresOf(g), maps: {} };
}

/** The SRAM images of the seeded sources among `placements`. `rename` (stamp.ts) gives the tensor and source
 * node of another instance of a repeated block, laid out as this one; `inputPadding` fills the padding lanes of
 * the model inputs' images (tensorImage). */
export function sourceImages(
  placements: readonly Placement[],
  tensorById: ReadonlyMap<string, TaskGraph["tensors"][number]>,
  constants: TaskGraph["constants"],
  sources: Sources,
  lanes: number,
  rename: (id: string) => string = (id) => id,
  inputPadding = 0,
): DataInit[] {
  const data: DataInit[] = [];
  for (const p of placements) {
    const t = tensorById.get(p.tensor)!;
    if (!t.source) continue;
    const node = rename(t.source.node);
    const values = sources.get(node) ?? constants?.get(node);
    if (!values) continue;
    const laid = sourceImage(values, t.cols, t.rows, t.source);
    const padding = t.role === "input" ? inputPadding : 0;
    data.push(...tensorImage({ ...p, tensor: rename(p.tensor) }, t.type, t.cols, laid, lanes, padding));
  }
  return data;
}

/** One wire per pair of links a send and its recv use, sorted. A wire carries both directions (docs/isa.md), so
 * traffic each way between two chips (a K split's inputs out and partial sums back) is one wire, written from its
 * lower chip: written once per direction, the simulator rejects it as a link wired twice (LPU4017). */
function wiresOf(g: TaskGraph): LinkWire[] {
  // The scheduler's name index of these tasks (dependencies.ts keeps it per task list): no map built again.
  const { index } = dependencies(g.tasks);
  const wires = new Map<string, LinkWire>();
  const ends = new Map<string, string>(); // `chip:link` -> its wire's key
  for (const t of g.tasks)
    for (const st of t.steps) {
      if (st.kind !== "recv") continue;
      const sender = g.tasks[index.get(st.from)!]!;
      const send = sender.steps.find((x) => x.kind === "send")!;
      if (send.kind !== "send") continue;
      const w =
        sender.chip < t.chip
          ? { a: sender.chip, link: send.link, b: t.chip, peerLink: st.link }
          : { a: t.chip, link: st.link, b: sender.chip, peerLink: send.link };
      const key = `${w.a}:${w.link}-${w.b}:${w.peerLink}`;
      for (const end of [`${w.a}:${w.link}`, `${w.b}:${w.peerLink}`])
        invariant((ends.get(end) ?? key) === key, `chip:link ${end} is wired to two peers`);
      ends.set(`${w.a}:${w.link}`, key).set(`${w.b}:${w.peerLink}`, key);
      wires.set(key, w);
    }
  return [...wires.values()].sort((x, y) => x.a - y.a || x.link - y.link);
}

/** The SRAM words of one tensor: per column tile, per byte plane, `rows` words of `lanes` bytes; the last tile's
 * lanes past `cols` hold `padding` (zero but in a test that shows an op never reads them). */
export function tensorImage(
  p: Placement,
  type: ElemType,
  cols: number,
  values: ArrayLike<number>,
  lanes: number,
  padding = 0,
): DataInit[] {
  const bytes = ELEM_BYTES[type];
  const out: DataInit[] = [];
  for (const blk of p.blocks) {
    const j = blk.tile;
    // A wide block (allocate.ts) puts row r in slice group r mod width, word r / width.
    const width = blk.width ?? 1;
    const words = Math.ceil(blk.rows / width);
    const planes = blk.slices.map(() => new Uint8Array(words * lanes));
    for (let r = 0; r < blk.rows; r++)
      for (let l = 0; l < lanes; l++) {
        const c = j * lanes + l;
        if (c >= cols && padding === 0) break;
        const bits = encode(type, c < cols ? values[(blk.row0 + r) * cols + c]! : padding);
        const at = Math.floor(r / width) * lanes + l;
        for (let b = 0; b < bytes; b++) planes[(r % width) * bytes + b]![at] = (bits >>> (8 * b)) & 0xff;
      }
    blk.slices.forEach((slice, k) => {
      const label =
        width === 1
          ? `${p.tensor}#t${j}.r${blk.row0}.b${k}`
          : `${p.tensor}#t${j}.r${blk.row0}.g${Math.floor(k / bytes)}.b${k % bytes}`;
      out.push({ slice, addr: blk.addr, bytes: planes[k]!, label });
    });
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Element bits, little-endian planes. Only the dtypes the back end lowers today. */
function encode(type: ElemType, v: number): number {
  switch (type) {
    case "fp16":
      return f32ToF16Bits(v);
    case "bf16":
      return f32ToBf16Bits(v);
    case "fp32":
      f32[0] = v;
      return u32[0]!;
    case "int32":
      return v | 0;
    case "fp8":
      return f32ToFp8E4M3Bits(v);
    case "int8":
      return v & 0xff;
    default:
      throw new Error(`internal error: no SRAM encoding for ${type} yet`);
  }
}

/** A source tensor's values as it is stored: transposed and/or an id range of rows (a transposed weight's row
 * range is some of its output columns: partition.ts's column split gives each chip its own). */
function sourceImage(
  values: ArrayLike<number>,
  cols: number,
  rows: number,
  s: NonNullable<TiledTensor["source"]>,
): ArrayLike<number> {
  if (!s.transposed) return s.rows ? rowRange(values, cols, rows, s.rows) : values;
  if (!s.rows) return transpose(values, cols, rows, s.batches);
  return rowRange(transpose(values, cols, values.length / cols, s.batches), cols, rows, s.rows);
}

/** `rows` rows of `cols` values: source rows first..first+count-1 from row `at` on, zeros elsewhere (an id range of
 * an embedding table, kernel-ir.ts TensorSource.rows). */
function rowRange(
  v: ArrayLike<number>,
  cols: number,
  rows: number,
  r: { readonly first: number; readonly count: number; readonly at: number },
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < r.count * cols; i++) out[r.at * cols + i] = v[r.first * cols + i]!;
  return out;
}

/** Row-major [rows, cols] -> row-major [cols, rows], for `batches` such matrices one after another, each
 * `allCols / batches` wide (moe's expert weights [E, D, F] stored as [E * F, D]). */
function transpose(v: ArrayLike<number>, rows: number, allCols: number, batches = 1): Float64Array {
  const cols = allCols / batches;
  const out = new Float64Array(rows * allCols);
  for (let b = 0, o = 0; b < batches; b++, o += rows * cols)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[o + c * rows + r] = v[o + r * cols + c]!;
  return out;
}
