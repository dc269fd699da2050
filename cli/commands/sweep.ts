import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "sweep", "run every combination of chips, SRAM and GPUs in parallel", 6);
}
