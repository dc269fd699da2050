// Fixture data for the report tests: a small timeline (two chips, overlapping MXM work, a link, counters).
import type { Interval, Timeline } from "../../../simulator/report/trace/timeline.ts";

const iv = (start: number, duration: number, name: string): Interval => ({
  start,
  duration,
  name,
  category: "mxm",
});

/** Two chips at 900 MHz: overlapping MXM work on chip 0, a link and counters on chip 1. */
export function smallTimeline(): Timeline {
  return {
    time: { unit: "cycles", clockMHz: 900 },
    meta: { program: "fixture" },
    processes: [
      {
        id: 1,
        name: "chip 1",
        threads: [
          { key: "c2c0", name: "C2C 0", order: 5, intervals: [iv(10, 40, "send.fp16")] },
          { key: "idle", name: "VXM 3", order: 2, intervals: [] },
        ],
        counters: [
          {
            name: "C2C bytes sent",
            series: ["c2c0"],
            samples: [
              { time: 0, values: [0] },
              { time: 10, values: [640] },
            ],
          },
        ],
      },
      {
        id: 0,
        name: "chip 0",
        threads: [
          {
            key: "mxm0",
            name: "MXM 0",
            order: 0,
            intervals: [
              iv(5, 320, "lw.int8"),
              iv(0, 4, "abc.int8"),
              iv(4, 2, "abc.int8"),
              iv(100, 10, "abc.int8"),
            ],
          },
          { key: "mem0-10", name: "MEM 0-10", order: 0, intervals: [iv(0, 330, "read")] },
        ],
        counters: [{ name: "SRAM bytes used", series: ["bytes"], samples: [{ time: 0, values: [640] }] }],
      },
    ],
  };
}
