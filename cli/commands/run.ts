import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "run", "simulate an LPU program (.lasm) or a compiled model cycle by cycle", 3);
}
