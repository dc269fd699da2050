// Builders for test programs written directly in TypeScript: queues by name, instructions with defaults.

import { parseQueueName } from "../../../arch/asm/names.ts";
import type {
  DataInit,
  Instruction,
  LinkWire,
  OutputRegion,
  Placed,
  Program,
  QueueProgram,
  StreamRef,
} from "../../../arch/isa.ts";

export function s(name: string): StreamRef {
  const m = /^s(\d+)([ew])$/.exec(name);
  if (!m) throw new Error(`bad stream ${name}`);
  return { id: Number(m[1]), dir: m[2] as "e" | "w" };
}

/** An instruction at an explicit cycle, or (cycle undefined) as soon as the queue is free. */
export function at(cycle: number | undefined, inst: Instruction): Placed {
  return cycle === undefined ? { inst } : { inst, cycle };
}

export interface ChipSpec {
  readonly chip?: number;
  readonly queues: Readonly<Record<string, readonly Placed[]>>;
  readonly data?: readonly DataInit[];
  readonly outputs?: readonly OutputRegion[];
}

export function program(
  chips: readonly ChipSpec[],
  wires: readonly LinkWire[] = [],
  maps: Record<string, number[]> = {},
): Program {
  return {
    arch: "tsp-v1",
    chips: chips.map((c, i) => ({
      chip: c.chip ?? i,
      queues: Object.entries(c.queues).map(([name, instructions]): QueueProgram => {
        const queue = parseQueueName(name);
        if (!queue) throw new Error(`bad queue ${name}`);
        return { queue, instructions };
      }),
      data: c.data ?? [],
      outputs: c.outputs ?? [],
    })),
    wires,
    maps,
  };
}

export const I = {
  read: (addr: number, stream: string, n = 1, stride = 1): Instruction => ({
    op: "read",
    addr,
    stream: s(stream),
    n,
    stride,
  }),
  write: (addr: number, stream: string, n = 1, stride = 1): Instruction => ({
    op: "write",
    addr,
    stream: s(stream),
    n,
    stride,
  }),
  nop: (cycles: number): Instruction => ({ op: "nop", cycles }),
};

/** One word of bytes from lane values (mod 256). */
export function word(lanes: number, f: (lane: number) => number): Uint8Array {
  const w = new Uint8Array(lanes);
  for (let l = 0; l < lanes; l++) w[l] = f(l) & 0xff;
  return w;
}
