// Multi-chip runs: link latency and bandwidth, and the plesiochronous clock model with deskew (docs/isa.md
// "Many chips"): a deskewed two-chip program gives identical cycles and values for every drift seed; the same
// program without deskew meets recv-empty for some seeds.
import { describe, expect, it } from "vitest";
import type { Placed, Program } from "../../../arch/isa.ts";
import { Simulator } from "../../../simulator/lpu/simulator.ts";
import { program, s } from "./build.ts";
import { M } from "./kit.ts";

const L = M.c2c.latency;
/** Cycles the link needs for one 320-byte word on tsp-v1: 320 / (120e9 / 8 / 900e6) = 19.2. */
const WORD = (M.lanes * 8 * M.clockMHz) / (M.c2c.linkGbps * 1000);

/** Chip 0 reads two words from mem0 and sends them on link 0; chip 1 receives each the cycle it arrives and
 * writes it to its mem0. Word j is taken at cycle 4 + j and leaves at ceil(4 + 19.2 (j + 1)). */
function twoChip(deskew: boolean, recvSlack = 0): Program {
  const leave = [Math.ceil(4 + WORD), Math.ceil(4 + 2 * WORD)];
  const d: Placed[] = deskew ? [{ inst: { op: "deskew" }, cycle: 0 }] : [];
  const words = new Uint8Array(2 * M.lanes);
  for (let i = 0; i < words.length; i++) words[i] = (i * 7) & 0xff;
  return program(
    [
      {
        queues: {
          mem0: [...d, { inst: { op: "read", addr: 0, stream: s("s0w"), n: 2, stride: 1 }, cycle: 1 }],
          c2c0: [{ inst: { op: "send", type: "int8", src: s("s0w"), n: 2 }, cycle: 4 }],
        },
        data: [{ slice: 0, addr: 0, bytes: words }],
      },
      {
        queues: {
          mem0: [
            ...d,
            {
              inst: { op: "write", addr: 0, stream: s("s0e"), n: 1, stride: 1 },
              cycle: leave[0]! + L + recvSlack + 1,
            },
            {
              inst: { op: "write", addr: 1, stream: s("s0e"), n: 1, stride: 1 },
              cycle: leave[1]! + L + recvSlack + 1,
            },
          ],
          c2c0: [
            { inst: { op: "recv", type: "int8", dst: s("s0e"), n: 1 }, cycle: leave[0]! + L + recvSlack },
            { inst: { op: "recv", type: "int8", dst: s("s0e"), n: 1 }, cycle: leave[1]! + L + recvSlack },
          ],
        },
        outputs: [{ name: "got", type: "uint8", slices: [0], addr: 0, words: 2 }],
      },
    ],
    [{ a: 0, link: 0, b: 1, peerLink: 0 }],
  );
}

describe("LPU links and clocks", () => {
  it("a word arrives L_link cycles after its last byte leaves, one word per lanes/B cycles", () => {
    const sim = new Simulator(twoChip(true), M, { seed: 3 });
    sim.run();
    expect(sim.hazards).toEqual([]);
    const got = sim.result().outputs[0]!;
    expect(got.values!.slice(0, 3)).toEqual([0, 7, 14]);
    expect(got.values![M.lanes]).toBe((M.lanes * 7) & 0xff);
    // One cycle earlier, the first word is not there yet.
    const early = new Simulator(twoChip(true, -1), M, { seed: 3 });
    early.run();
    expect(early.hazards.map((h) => h.name)).toEqual(["recv-empty", "link-unreceived"]);
  });

  it("a deskewed two-chip program gives identical cycles and values for 100 drift seeds", () => {
    const p = twoChip(true);
    const runs = new Set<string>();
    const pauses = new Set<number>();
    for (let seed = 0; seed < 100; seed++) {
      const sim = new Simulator(p, M, { seed });
      sim.run();
      const r = sim.result();
      expect(r.hazards).toEqual([]);
      runs.add(JSON.stringify({ cycles: r.cycles, outputs: r.outputs }));
      pauses.add(r.pauseCycles);
    }
    expect(runs.size).toBe(1);
    // The clocks really did differ: the pause to the epoch boundary depends on the seed.
    expect(pauses.size).toBeGreaterThan(50);
  });

  it("the same program without deskew meets recv-empty for some seeds", () => {
    const p = twoChip(false);
    let failing = 0;
    for (let seed = 0; seed < 40; seed++) {
      const sim = new Simulator(p, M, { seed });
      sim.run();
      if (sim.hazards.some((h) => h.name === "recv-empty")) failing++;
    }
    expect(failing).toBeGreaterThan(0);
    expect(failing).toBeLessThan(40);
  });

  it("a send buffer holding bufferWords words is link-bandwidth", () => {
    const n = M.c2c.bufferWords + 8;
    const p = program(
      [
        {
          queues: {
            mem0: [{ inst: { op: "read", addr: 0, stream: s("s0w"), n, stride: 0 }, cycle: 0 }],
            c2c0: [{ inst: { op: "send", type: "int8", src: s("s0w"), n }, cycle: 3 }],
          },
        },
        { queues: {} },
      ],
      [{ a: 0, link: 0, b: 1, peerLink: 0 }],
    );
    const sim = new Simulator(p, M, { functional: false });
    sim.run();
    const names = sim.hazards.map((h) => h.name);
    expect(names[0]).toBe("link-bandwidth");
    // Word j is taken at 3 + j; by then ceil(19.2 k) <= j words have left, so the buffer first holds bufferWords
    // words when j - floor-count reaches it.
    const bw = sim.hazards[0]!;
    let j = 0;
    for (; ; j++) {
      let left = 0;
      for (let k = 0; k < j; k++) if (3 + Math.ceil(WORD * (k + 1)) <= 3 + j) left++;
      if (j - left >= M.c2c.bufferWords) break;
    }
    expect(bw.cycle).toBe(3 + j);
  });
});
