// A snapshot of the machine after the last simulated cycle, for tests and teaching: per chip the units busy and
// with what, the words on the streams at each position (non-empty only), MXM buffers, link traffic, parked queues.

import { describeInstruction } from "./describe.ts";
import type { Simulator } from "./simulator.ts";

export interface UnitBusy {
  readonly queue: string;
  readonly resource: string;
  readonly instruction: string;
  readonly until: number;
}

export interface StreamWordState {
  /** "s4e" */
  readonly stream: string;
  readonly position: number;
  /** The instruction that put it, e.g. "mem3 #0 'read'". */
  readonly from: string;
  readonly value: Uint8Array | null;
}

export interface PlaneState {
  readonly plane: number;
  readonly stagingType: string | null;
  readonly installed: { readonly type: string | null; readonly usableFrom: number } | null;
  /** Accumulator rows holding a result that is in by this cycle. */
  readonly readyRows: number;
}

export interface LinkState {
  readonly link: number;
  readonly wordsSent: number;
  readonly wordsInFlight: number;
  /** Arrived and waiting for a recv. */
  readonly wordsWaiting: number;
  readonly wordsReceived: number;
}

export interface ChipSnapshot {
  readonly chip: number;
  readonly cycle: number;
  readonly pause: number;
  readonly busy: readonly UnitBusy[];
  readonly streams: readonly StreamWordState[];
  readonly planes: readonly PlaneState[];
  readonly links: readonly LinkState[];
  readonly parked: readonly { readonly queue: string; readonly token: string }[];
}

export interface MachineState {
  readonly cycle: number;
  readonly chips: readonly ChipSnapshot[];
}

export function snapshot(sim: Simulator): MachineState {
  const cycle = sim.now - 1;
  const m = sim.machine;
  const chips: ChipSnapshot[] = sim.chips.map((chip) => {
    const busy: UnitBusy[] = [];
    for (const q of chip.queues) {
      for (const [resource, o] of [...q.resources].sort(([a], [b]) => a.localeCompare(b))) {
        if (o.from <= cycle && cycle < o.until) {
          busy.push({
            queue: q.name,
            resource,
            instruction: describeInstruction(o.by.placed.inst),
            until: o.until,
          });
        }
      }
    }
    const streams: StreamWordState[] = [];
    for (let dir = 0; dir < 2; dir++) {
      for (let id = 0; id < m.streamsPerDirection; id++) {
        for (let p = 0; p < m.sliceOrder.length; p++) {
          const w = chip.streams.peek(dir, id, p, cycle);
          if (w)
            streams.push({
              stream: `s${id}${dir === 0 ? "e" : "w"}`,
              position: p,
              from: sim.instName(w.writer),
              value: w.value,
            });
        }
      }
    }
    const planes: PlaneState[] = chip.planes.map((p, plane) => {
      let readyRows = 0;
      for (let r = 0; r < p.accRows; r++) if (p.readyAt[r]! <= cycle) readyRows++;
      return {
        plane,
        stagingType: p.stagingType ?? null,
        installed: p.installedBy >= 0 ? { type: p.weightsType ?? null, usableFrom: p.usableFrom } : null,
        readyRows,
      };
    });
    const links: LinkState[] = chip.links
      .filter((l) => l.sent + l.inFlight + l.waiting + l.received > 0)
      .map((l) => ({
        link: l.link,
        wordsSent: l.sent,
        wordsInFlight: l.inFlight,
        wordsWaiting: l.waiting,
        wordsReceived: l.received,
      }));
    const parked = chip.queues
      .filter((q) => q.parked)
      .map((q) => ({ queue: q.name, token: q.parked!.token }));
    return { chip: chip.id, cycle, pause: chip.clock.pause, busy, streams, planes, links, parked };
  });
  return { cycle, chips };
}
