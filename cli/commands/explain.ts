import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "explain", "show where the cycles of a compiled model go", 4);
}
