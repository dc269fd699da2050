import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "trace", "write a Chrome trace of a schedule", 7);
}
