// The GPU run worker's entry, in JavaScript: Node 20 does not apply loaders given in a Worker's execArgv, so the
// thread registers tsx itself (as bin/lpu.js does) before loading the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
