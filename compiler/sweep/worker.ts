// A sweep worker thread: loads the evaluation module named in workerData, then answers one message per
// combination with its outcome. Exceptions become outcomes here, so one bad configuration never stops a worker.
import { parentPort, workerData } from "node:worker_threads";
import { type EvaluationModule, type Outcome, safeEvaluate } from "./evaluation.ts";
import type { Combination } from "./grid.ts";

export interface WorkerData {
  readonly module: string;
  readonly context: unknown;
}

export interface Request {
  readonly combination: Combination;
}

export interface Reply {
  readonly index: number;
  readonly outcome: Outcome;
}

const port = parentPort;
if (!port) throw new Error("internal error: compiler/sweep/worker.ts must run in a worker thread");
const data = workerData as WorkerData;
const mod = (await import(data.module)) as EvaluationModule;

port.on("message", async (req: Request) => {
  port.postMessage({
    index: req.combination.index,
    outcome: await safeEvaluate(mod, req.combination, data.context),
  });
});
