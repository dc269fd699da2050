// The command table, in the order `lpu --help` lists them. One file per command.
import type { Command } from "commander";
import { register as check } from "./check.ts";
import { register as compare } from "./compare.ts";
import { register as compile } from "./compile.ts";
import { register as evalCmd } from "./eval.ts";
import { register as explain } from "./explain.ts";
import { register as gpu } from "./gpu.ts";
import { register as graph } from "./graph.ts";
import { register as importHf } from "./import-hf.ts";
import { register as run } from "./run.ts";
import { register as step } from "./step.ts";
import { register as sweep } from "./sweep.ts";
import { register as trace } from "./trace.ts";

export function registerCommands(program: Command): void {
  for (const register of [
    check,
    graph,
    evalCmd,
    importHf,
    compile,
    run,
    step,
    explain,
    gpu,
    compare,
    trace,
    sweep,
  ]) {
    register(program);
  }
}
