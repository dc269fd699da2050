// A GPU run worker thread: takes one range of runs from workerData (threads.ts), simulates them and posts the
// samples back in run order.
import { parentPort, workerData } from "node:worker_threads";
import { type RangeJob, simulateRange } from "./threads.ts";

const port = parentPort;
if (!port) throw new Error("internal error: simulator/gpu/worker.ts must run in a worker thread");
port.postMessage(simulateRange(workerData as RangeJob));
