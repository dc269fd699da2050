import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "compare", "compare a model on LPU chips and on GPUs", 5);
}
