// What placing one instance of a task reserves: in, its geometry, chip and start; out, entries of a ResBuffer
// (queue issue slots and unit resources, bank ports, stream rectangles) keyed by dense table ids. Reads no table:
// the same instance at the same start always reserves the same entries.
import type { UnitKind } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { invariant } from "../../util/assert.ts";
import { blockOf, type Placement } from "../passes/task-ir.ts";
import type { FlowGroup, Geometry, Instance } from "./geometry.ts";
import { BANK, QUEUE, type ResBuffer, STREAM } from "./resources.ts";
import type { UnitResource } from "./timing.ts";

/** The unit resources of timing.ts, numbered after the queue's issue slot (0) for the dense table ids. */
const RESOURCE_INDEX: Readonly<Record<UnitResource, number>> = {
  read: 1,
  write: 2,
  alu: 3,
  loader: 4,
  array: 5,
  drain: 6,
  sender: 7,
  receiver: 8,
};
const RESOURCES_PER_QUEUE = 9;

/** Dense table ids (no string keys) and the entries an instance reserves in them: per chip, a queue is a unit kind
 * and index, with an issue slot and one table per unit resource; a bank is a slice and bank; a stream a direction
 * and id. */
export class Reserver {
  /** Table ids per kind (QUEUE, BANK, STREAM): every id is below. */
  readonly sizes: readonly [number, number, number];
  private readonly memCount: number;
  private readonly queueBase: Readonly<Record<UnitKind, number>>;
  private readonly queuesPerChip: number;
  private readonly bankSize: number;
  private readonly mapSpans = new WeakMap<FlowGroup, Int32Array>();

  constructor(
    private readonly m: Machine,
    chips: number,
    private readonly placements: ReadonlyMap<string, Placement>,
  ) {
    const memCount = m.sliceOrder.filter((k) => k === "mem").length;
    this.memCount = memCount;
    this.queueBase = {
      mem: 0,
      vxm: memCount,
      mxm: memCount + m.vxm.alus,
      c2c: memCount + m.vxm.alus + m.mxm.planes,
      sxm: memCount + m.vxm.alus + m.mxm.planes + m.c2c.links,
    };
    this.queuesPerChip = this.queueBase.sxm;
    this.bankSize = m.mem.wordsPerSlice / m.mem.banksPerSlice;
    this.sizes = [
      chips * this.queuesPerChip * RESOURCES_PER_QUEUE,
      chips * memCount * m.mem.banksPerSlice,
      chips * 2 * m.streamsPerDirection,
    ];
  }

  streamId(chip: number, dir: "e" | "w", id: number): number {
    return (chip * 2 + (dir === "e" ? 0 : 1)) * this.m.streamsPerDirection + id;
  }

  /** The queue's issue cycle(s) (one instruction per cycle per queue) and the unit resource it occupies. */
  unit(out: ResBuffer, inst: Instance, chip: number, start: number, index: number): void {
    const t = start + inst.rel;
    const queue = (chip * this.queuesPerChip + this.queueBase[inst.unit] + index) * RESOURCES_PER_QUEUE;
    const res = queue + RESOURCE_INDEX[inst.timing.resource];
    // A VXM queue's one resource is its ALU (timing.ts), held from the issue cycle on: the issue slot lies inside
    // it, so whatever meets the slot meets the ALU and needs at least as much shift. The slot's table is left out
    // (the ALU search checks one candidate ALU after another: half the entries of each).
    const slot = inst.unit !== "vxm";
    if (!slot && inst.timing.resource !== "alu") invariant(false, "a VXM step holds its ALU");
    if (inst.spacing === 1) {
      if (slot || inst.timing.busy < 1) out.push(QUEUE, queue, t, t + 1);
      out.push(QUEUE, res, t, t + inst.timing.busy);
      return;
    }
    for (let k = 0; k < inst.timing.n; k++) {
      const at = t + k * inst.spacing;
      if (slot) out.push(QUEUE, queue, at, at + 1);
      out.push(QUEUE, res, at, at + 1);
    }
  }

  /** The bank ports a MEM step's words use, one entry per run of words in one bank. */
  banks(out: ResBuffer, inst: Instance, chip: number, start: number): void {
    const t = start + inst.rel;
    const n = inst.timing.n;
    const slice = (chip * this.memCount + inst.index!) * this.m.mem.banksPerSlice;
    const { addr, stride, spacing } = inst;
    const size = this.bankSize;
    for (let k = 0; k < n; ) {
      const bank = Math.floor((addr + k * stride) / size);
      let j = k + 1;
      if (spacing === 1) {
        // The run's end found from the bank's boundary, not word by word (a read of 320 rows is one or two runs),
        // then moved to where the word-by-word test puts it (the same answer whatever the rounding).
        if (stride === 0) j = n;
        else if (stride > 0) j = Math.min(n, Math.max(j, Math.ceil(((bank + 1) * size - addr) / stride)));
        while (j > k + 1 && Math.floor((addr + (j - 1) * stride) / size) !== bank) j--;
        while (j < n && Math.floor((addr + j * stride) / size) === bank) j++;
      }
      out.push(BANK, slice + bank, t + k * spacing, t + (j - 1) * spacing + 1);
      k = j;
    }
  }

  /** A gather's address is data (docs/isa.md: base + the index it takes), so it holds every bank its table block
   * spans for its whole run: whatever the ids, no other access meets it in a bank. */
  gatherBanks(
    out: ResBuffer,
    inst: Instance,
    chip: number,
    start: number,
    tensor: string,
    tile: number,
  ): void {
    const t = start + inst.rel;
    const block = blockOf(this.placements.get(tensor)!, tile, 0);
    const slice = (chip * this.memCount + inst.index!) * this.m.mem.banksPerSlice;
    const last = Math.floor((block.addr + block.rows - 1) / this.bankSize);
    for (let bank = Math.floor(block.addr / this.bankSize); bank <= last; bank++)
      out.push(BANK, slice + bank, t, t + inst.timing.n);
  }

  /** The flow group's stream rectangles for a start and direction, keyed by the stream's offset in the group (the
   * same on every stream id the group may take). */
  flowRects(out: ResBuffer, geo: Geometry, gi: number, start: number, dir: "e" | "w"): void {
    const grp = geo.groups[gi]!;
    if (grp.streams < grp.flows.length) {
      // A gather's map: one producer, a flow per byte to each consumer slice; each stream carries its byte from
      // the producer to the farthest consumer once (the nearer ones take it as it passes).
      const p = geo.instances[grp.flows[0]!.from]!;
      const t0 = start + p.rel + p.timing.outOffset;
      const w0 = dir === "e" ? t0 - p.pos : t0 + p.pos;
      const span = this.mapSpan(geo, grp);
      for (let b = 0; b < grp.streams; b++)
        out.push(STREAM, b, w0, w0 + (grp.n - 1) * grp.spacing + 1, span[2 * b]!, span[2 * b + 1]!);
      return;
    }
    for (const f of grp.flows) {
      const p = geo.instances[f.from]!;
      const c = geo.instances[f.to]!;
      const t0 = start + p.rel + p.timing.outOffset;
      const w0 = dir === "e" ? t0 - p.pos : t0 + p.pos;
      const w1 = w0 + (grp.n - 1) * grp.spacing + 1;
      out.push(STREAM, f.byte, w0, w1, Math.min(p.pos, c.pos), Math.max(p.pos, c.pos));
    }
  }

  /** Per byte of a gather's map group: the lowest and highest position its stream spans (the producer's and its
   * consumers'), as pairs; the same for every start and stream tried, so computed once per group. */
  private mapSpan(geo: Geometry, grp: FlowGroup): Int32Array {
    let span = this.mapSpans.get(grp);
    if (span) return span;
    const p = geo.instances[grp.flows[0]!.from]!;
    span = new Int32Array(2 * grp.streams);
    for (let b = 0; b < grp.streams; b++) {
      span[2 * b] = p.pos;
      span[2 * b + 1] = p.pos;
    }
    for (const f of grp.flows) {
      const c = geo.instances[f.to]!;
      span[2 * f.byte] = Math.min(span[2 * f.byte]!, c.pos);
      span[2 * f.byte + 1] = Math.max(span[2 * f.byte + 1]!, c.pos);
    }
    this.mapSpans.set(grp, span);
    return span;
  }
}
