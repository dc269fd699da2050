// Runs combinations on worker threads: each worker takes the next combination when it finishes the last, and
// the results come back in combination order whatever order they finished in. A worker that dies (an uncaught
// error, out of memory) turns its combination into a `crashed` row and is replaced; the others keep going.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Outcome, Result } from "./evaluation.ts";
import type { Combination } from "./grid.ts";
import type { Reply, Request, WorkerData } from "./worker.ts";

export interface PoolOptions {
  /** URL (file: or absolute path) of the evaluation module; see evaluation.ts. */
  readonly module: string;
  /** Fixed settings handed to every evaluation (structured-cloneable). */
  readonly context: unknown;
  /** Worker threads; default: as many as the machine has cores (never more than combinations). */
  readonly workers?: number;
  /** Called after each combination finishes, in completion order. */
  readonly onResult?: (r: Result, done: number, total: number) => void;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

/** A JavaScript entry that registers tsx in the thread: Node 20 ignores loaders in a Worker's execArgv. */
const WORKER_URL = new URL("./worker-entry.mjs", import.meta.url);

export async function runPool(combos: readonly Combination[], o: PoolOptions): Promise<Result[]> {
  const total = combos.length;
  const outcomes = new Array<Outcome | undefined>(total);
  if (total === 0) return [];
  const slotOf = new Map(combos.map((c, slot) => [c.index, slot]));
  const threads = Math.max(1, Math.min(o.workers ?? defaultWorkers(), total));
  const data: WorkerData = { module: o.module, context: o.context };
  let next = 0;
  let done = 0;

  return new Promise<Result[]>((resolve) => {
    const finish = (slot: number, outcome: Outcome) => {
      if (outcomes[slot] !== undefined) return;
      outcomes[slot] = outcome;
      done++;
      o.onResult?.({ combination: combos[slot]!, outcome }, done, total);
      if (done === total) resolve(combos.map((c, i) => ({ combination: c, outcome: outcomes[i]! })));
    };

    const start = () => {
      const worker = new Worker(WORKER_URL, { workerData: data });
      let current: number | undefined;
      let dead = false;
      const feed = () => {
        if (next >= total) {
          current = undefined;
          void worker.terminate();
          return;
        }
        current = next++;
        const req: Request = { combination: combos[current]! };
        worker.postMessage(req);
      };
      const die = (reason: string) => {
        if (dead) return;
        dead = true;
        const lost = current;
        current = undefined;
        if (lost !== undefined) {
          finish(lost, { kind: "crashed", reason });
          // Replace the worker only if there is work left for it.
          if (next < total) start();
        }
      };
      worker.on("message", (reply: Reply) => {
        finish(slotOf.get(reply.index)!, reply.outcome);
        feed();
      });
      worker.on("error", (e) => die(`worker thread failed: ${e.message}`));
      worker.on("exit", (code) => {
        if (current !== undefined) die(`worker thread exited with code ${code}`);
      });
      feed();
    };

    for (let w = 0; w < threads; w++) start();
  });
}
