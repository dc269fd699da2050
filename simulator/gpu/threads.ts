// K runs spread over worker threads: runs are cut into contiguous ranges, one per thread (the calling thread takes
// the first), and the samples come back in run order. Guarantees: the same samples as simulateRuns with the same
// options, whatever the thread count, because run i depends only on (seed, i) and its plan (see runs.ts).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { PreparedPlan } from "./prepare.ts";
import { batchFor, type RunSample, type RunsOptions, simulateRunAt } from "./runs.ts";

/** What a worker needs for runs [from, to): the options without the plan callback, and every plan it will use. */
export interface RangeJob {
  readonly options: Omit<RunsOptions, "plans">;
  readonly plans: readonly (readonly [number, PreparedPlan])[];
  readonly from: number;
  readonly to: number;
}

/** A JavaScript entry that registers tsx in the thread: Node 20 ignores loaders in a Worker's execArgv. */
const WORKER_URL = new URL("./worker-entry.mjs", import.meta.url);

/**
 * Below this many HBM requests in all, threads cost more to start (each loads the simulator, about 0.3 s) than
 * they save: one thread is used. Only the speed depends on it, never the samples.
 */
const MIN_REQUESTS_FOR_THREADS = 2_000_000;

export function defaultThreads(): number {
  return availableParallelism();
}

/** Runs [from, to) on this thread. */
export function simulateRange(job: RangeJob): RunSample[] {
  const plans = new Map(job.plans);
  const options: RunsOptions = {
    ...job.options,
    plans: (batch) => {
      const plan = plans.get(batch);
      if (!plan) throw new Error(`internal error: no plan for batch ${batch}`);
      return plan;
    },
  };
  const out: RunSample[] = [];
  for (let i = job.from; i < job.to; i++) out.push(simulateRunAt(options, i));
  return out;
}

function onWorker(job: RangeJob): Promise<RunSample[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let settled = false;
    worker.once("message", (samples: RunSample[]) => {
      settled = true;
      resolve(samples);
      void worker.terminate();
    });
    worker.once("error", (e) => {
      settled = true;
      reject(e);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`GPU run worker exited with code ${code} before replying`));
    });
  });
}

/**
 * simulateRuns on up to `threads` threads (default: one per core). `minRequests`: the least work (HBM requests in
 * all runs) worth starting threads for; tests pass 0 to use threads on small models.
 */
export async function simulateRunsOnThreads(
  o: RunsOptions,
  threads = defaultThreads(),
  minRequests = MIN_REQUESTS_FOR_THREADS,
): Promise<RunSample[]> {
  const batches = new Map<number, PreparedPlan>();
  let requests = 0;
  for (let i = 0; i < o.runs; i++) {
    const batch = batchFor(o.seed, i, o.concurrency);
    let plan = batches.get(batch);
    if (!plan) {
      plan = o.plans(batch);
      batches.set(batch, plan);
    }
    requests += plan.reqBytes.length * o.gpus;
  }
  const n = requests < minRequests ? 1 : Math.max(1, Math.min(threads, o.runs));
  const { plans: _, ...options } = o;
  const plans = [...batches].sort((a, b) => a[0] - b[0]);
  const jobs: RangeJob[] = [];
  for (let t = 0; t < n; t++) {
    jobs.push({ options, plans, from: Math.floor((t * o.runs) / n), to: Math.floor(((t + 1) * o.runs) / n) });
  }
  // Workers start first so that they load while this thread runs its own range.
  const others = jobs.slice(1).map(onWorker);
  const mine = simulateRange(jobs[0]!);
  const rest = await Promise.all(others);
  return mine.concat(...rest);
}
