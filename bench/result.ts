// The figures one benchmark case reports (the contract of every bench/*.ts file: see bench/run.ts). Every field
// but `name` is optional: a case gives what it measures, and `note` says why a figure is missing.
export interface BenchResult {
  /** The case, e.g. "llama2-70b, 576 chips, decode ctx 4096". */
  readonly name: string;
  /** Instructions in the program (compiled or simulated). */
  readonly instructions?: number;
  /** Wall-clock seconds to load and compile the model (front end + back end). */
  readonly compileSeconds?: number;
  /** CPU seconds (user + system, all threads of the case's process) of the same compile: on a shared machine the
   * wall clock also counts other people's work, the CPU time does not. */
  readonly compileCpuSeconds?: number;
  /** Wall-clock seconds the simulator took to run the program. */
  readonly simulateSeconds?: number;
  /** CPU seconds of the same simulation. */
  readonly simulateCpuSeconds?: number;
  /** Simulated instructions per wall-clock second. */
  readonly instructionsPerSecond?: number;
  /** For repeated runs (the GPU baseline): how many, and their total wall-clock seconds. */
  readonly runs?: number;
  readonly runSeconds?: number;
  /** Peak resident memory of the process that ran this case alone, MiB. */
  readonly peakRssMiB?: number;
  /** Why figures are missing ("not available yet: ...", a compiler message), or what to know about them. */
  readonly note?: string;
}

/** The machine a benchmark ran on (bench/run.ts machineInfo). */
export interface MachineInfo {
  readonly cores: number;
  readonly cpu: string;
  readonly memory_bytes: number;
  readonly node: string;
  readonly platform: string;
  /** The 1-minute load average when the benchmark started (absent in older files): above the core count, other
   * work shared the machine and wall-clock figures are inflated. */
  readonly load_average?: number;
}

/** One result with the bench file that gave it, as the JSON file lists them. */
export interface FileResult extends BenchResult {
  readonly file: string;
}

/** What `npm run bench -- --json FILE` writes: the date (ISO 8601), the machine, every result in table order. */
export interface BenchReport {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly results: readonly FileResult[];
}
