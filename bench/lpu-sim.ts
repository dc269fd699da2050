// Simulator speed: simulated instructions and vectors per second on a synthetic program of about a million
// instructions (32 MEM slices streaming words east to 32 others, 16 VXM ALUs copying them onto westward streams,
// every queue issuing every cycle). Prints, never asserts. Run: npx tsx bench/lpu-sim.ts [K]
import type { Placed, Program, QueueProgram } from "../arch/isa.ts";
import { TSP_V1 } from "../arch/presets.ts";
import { Simulator } from "../simulator/lpu/index.ts";

function synthetic(k: number, n: number): Program {
  const m = TSP_V1;
  const queues: QueueProgram[] = [];
  const distance = 45; // mem i (position 3 + i) to mem 44 + i (position 48 + i)
  for (let i = 0; i < 32; i++) {
    const reads: Placed[] = [];
    const writes: Placed[] = [];
    for (let j = 0; j < k; j++) {
      const first = j === 0;
      reads.push({
        inst: { op: "read", addr: (j * n) % 4096, stream: { id: i, dir: "e" }, n, stride: 1 },
        ...(first ? { cycle: 0 } : {}),
      });
      writes.push({
        inst: { op: "write", addr: 4096 + ((j * n) % 4096), stream: { id: i, dir: "e" }, n, stride: 1 },
        ...(first ? { cycle: m.mem.readLatency + distance } : {}),
      });
    }
    queues.push(
      { queue: { kind: "mem", index: i }, instructions: reads },
      { queue: { kind: "mem", index: 44 + i }, instructions: writes },
    );
  }
  for (let a = 0; a < 16; a++) {
    const ops: Placed[] = [];
    for (let j = 0; j < k; j++) {
      ops.push({
        inst: {
          op: "vunary",
          fn: "copy",
          type: "int8",
          dst: { id: a, dir: "w" },
          src: { id: a, dir: "e" },
          n,
        },
        ...(j === 0 ? { cycle: m.mem.readLatency + 44 - a } : {}),
      });
    }
    queues.push({ queue: { kind: "vxm", index: a }, instructions: ops });
  }
  return { arch: "tsp-v1", chips: [{ chip: 0, queues, data: [], outputs: [] }], wires: [], maps: {} };
}

function measure(label: string, k: number, n: number, functional: boolean): void {
  const p = synthetic(k, n);
  const start = performance.now();
  const sim = new Simulator(p, TSP_V1, { functional });
  sim.run();
  const seconds = (performance.now() - start) / 1000;
  const r = sim.result();
  const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  console.log(
    `${label.padEnd(28)} ${String(r.instructions).padStart(9)} instructions ${String(r.vectors).padStart(9)} vectors ` +
      `${r.cycles} cycles  ${seconds.toFixed(2)} s  ${fmt(r.instructions / seconds)}instr/s  ${fmt(r.vectors / seconds)}vectors/s` +
      `  hazards ${r.hazards.length}`,
  );
}

const k = Number(process.argv[2] ?? 12500);
measure("timing only, n=1", k, 1, false);
measure("timing only, n=8", Math.ceil(k / 8), 8, false);
measure("functional, n=1", Math.ceil(k / 10), 1, true);
