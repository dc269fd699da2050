import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "compile", "compile a model to a static multi-chip LPU schedule", 4);
}
