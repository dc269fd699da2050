import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "check", "validate a .model file and print its diagnostics", 2);
}
