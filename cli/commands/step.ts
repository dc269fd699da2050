import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "step", "step through an LPU program cycle by cycle", 3);
}
