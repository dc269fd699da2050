// Test kit: builds one-chip programs that feed typed vectors from SRAM so they reach a unit's position at a chosen
// cycle (the read is issued readLatency + distance cycles earlier), and reads typed words off the streams through
// the step API.

import { parseQueueName } from "../../../arch/asm/names.ts";
import {
  type DataInit,
  ELEM_BYTES,
  type ElemType,
  type Instruction,
  type OutputRegion,
  type Placed,
  type Program,
} from "../../../arch/isa.ts";
import type { Machine } from "../../../arch/machine.ts";
import { slicePosition } from "../../../arch/machine.ts";
import { queuePosition, TSP_V1 } from "../../../arch/presets.ts";
import { formatHazards } from "../../../simulator/lpu/hazards.ts";
import type { Simulator } from "../../../simulator/lpu/simulator.ts";
import { decode, encode, roundResult } from "../../../simulator/lpu/values.ts";
import { program, s } from "./build.ts";

export const M: Machine = TSP_V1;
export const LANES = M.lanes;

export function pos(queue: string, m: Machine = M): number {
  const p = queuePosition(m, parseQueueName(queue)!);
  if (p === undefined) throw new Error(`no queue ${queue}`);
  return p;
}

export function memIndexAt(position: number, m: Machine = M): number {
  for (let i = 0; ; i++) {
    const p = slicePosition(m, "mem", i);
    if (p === undefined) throw new Error(`no MEM slice at ${position}`);
    if (p === position) return i;
  }
}

export class ChipBuilder {
  readonly queues: Record<string, Placed[]> = {};
  readonly data: DataInit[] = [];
  readonly outputs: OutputRegion[] = [];
  private nextAddr = new Map<number, number>();

  constructor(readonly m: Machine = M) {}

  add(queue: string, inst: Instruction, cycle?: number): this {
    const list = this.queues[queue] ?? [];
    this.queues[queue] = list;
    list.push(cycle === undefined ? { inst } : { inst, cycle });
    return this;
  }

  /** Stores a typed vector as byte planes in the given MEM slices and reads it so that all planes are on stream
   * group `stream` at `position` in cycle `cycle`. Values are rounded to the type first. */
  feed(
    type: ElemType,
    values: ArrayLike<number> | ((lane: number) => number),
    stream: string,
    position: number,
    cycle: number,
    slices: readonly number[],
  ): this {
    const lanes = this.m.lanes;
    const v = new Float64Array(lanes);
    for (let l = 0; l < lanes; l++)
      v[l] = roundResult(type, typeof values === "function" ? values(l) : values[l]!);
    const planes = encode(type, v, lanes);
    const ref = s(stream);
    for (let b = 0; b < ELEM_BYTES[type]; b++) {
      const slice = slices[b]!;
      const p = slicePosition(this.m, "mem", slice)!;
      const distance = ref.dir === "e" ? position - p : p - position;
      if (distance < 0) throw new Error(`mem${slice} is downstream of position ${position}`);
      const addr = this.nextAddr.get(slice) ?? 0;
      this.nextAddr.set(slice, addr + 1);
      this.data.push({ slice, addr, bytes: planes[b]! });
      const issue = cycle - this.m.mem.readLatency - distance;
      this.add(
        `mem${slice}`,
        { op: "read", addr, stream: { id: ref.id + b, dir: ref.dir }, n: 1, stride: 1 },
        issue,
      );
    }
    return this;
  }

  program(): Program {
    return program([{ queues: this.queues, data: this.data, outputs: this.outputs }]);
  }
}

/** Runs to `cycle` and decodes the typed word on `stream` at `position` (undefined if a plane is missing). */
export function wordAt(
  sim: Simulator,
  type: ElemType,
  stream: string,
  position: number,
  cycle: number,
  chip = 0,
): Float64Array | undefined {
  const state = sim.chip(chip);
  if (!state) throw new Error(`the program did not run:\n${formatHazards(sim.hazards)}`);
  sim.runUntil(cycle);
  const ref = s(stream);
  const planes: Uint8Array[] = [];
  for (let b = 0; b < ELEM_BYTES[type]; b++) {
    const w = state.streams.peek(ref.dir === "e" ? 0 : 1, ref.id + b, position, cycle);
    if (!w?.value) return undefined;
    planes.push(w.value);
  }
  return decode(type, planes, sim.lanes);
}

export function hazardNames(sim: Simulator): string[] {
  return sim.hazards.map((h) => h.name);
}
