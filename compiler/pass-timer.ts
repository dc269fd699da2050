// `lpu compile --time-passes`: CPU and wall time of each step of compile(), summed by step name over the compile
// (auto may partition twice, a stamped compile runs the back end on one or two reductions), and the process's
// heap and resident set after the step's last run. Opt-in: without it compile() reads no clock.

/** One step's totals over a compile. */
export interface PassTime {
  readonly name: string;
  /** How many times the step ran. */
  readonly runs: number;
  /** User + system CPU seconds of the process during the step's runs. */
  readonly cpuS: number;
  readonly wallS: number;
  /** `process.memoryUsage()` after the step's last run (no collection forced): the JS heap used and the resident set. */
  readonly heapMiB: number;
  readonly rssMiB: number;
}

interface Totals {
  runs: number;
  cpuS: number;
  wallS: number;
  heapMiB: number;
  rssMiB: number;
}

/** Times steps by name, in the order each name first ran. A disabled timer only calls the step. */
export class PassTimer {
  private readonly totals = new Map<string, Totals>();
  constructor(readonly enabled: boolean) {}

  time<T>(name: string, step: () => T): T {
    if (!this.enabled) return step();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    try {
      return step();
    } finally {
      const cpu = process.cpuUsage(cpu0);
      const wallS = (performance.now() - wall0) / 1e3;
      const mem = process.memoryUsage();
      const t = this.totals.get(name) ?? { runs: 0, cpuS: 0, wallS: 0, heapMiB: 0, rssMiB: 0 };
      t.runs++;
      t.cpuS += (cpu.user + cpu.system) / 1e6;
      t.wallS += wallS;
      t.heapMiB = mem.heapUsed / 2 ** 20;
      t.rssMiB = mem.rss / 2 ** 20;
      this.totals.set(name, t);
    }
  }

  /** The steps that ran, in the order each first ran (empty when disabled). */
  results(): PassTime[] {
    return [...this.totals].map(([name, t]) => ({ name, ...t }));
  }
}

/** The table `--time-passes` prints: one line a step, then the sum. */
export function formatPassTimes(times: readonly PassTime[]): string {
  const row = (name: string, runs: string, cpu: string, wall: string, heap: string, rss: string) =>
    `${name.padEnd(12)} ${runs.padStart(4)} ${cpu.padStart(9)} ${wall.padStart(9)} ${heap.padStart(9)} ${rss.padStart(9)}\n`;
  let out = row("pass", "runs", "cpu s", "wall s", "heap MiB", "rss MiB");
  for (const t of times)
    out += row(
      t.name,
      String(t.runs),
      t.cpuS.toFixed(2),
      t.wallS.toFixed(2),
      t.heapMiB.toFixed(0),
      t.rssMiB.toFixed(0),
    );
  const sum = (f: (t: PassTime) => number) => times.reduce((s, t) => s + f(t), 0).toFixed(2);
  return (
    out +
    row(
      "total",
      "",
      sum((t) => t.cpuS),
      sum((t) => t.wallS),
      "",
      "",
    )
  );
}
