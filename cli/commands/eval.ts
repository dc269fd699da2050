import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "eval", "evaluate a model on seeded numbers with the reference interpreter", 2);
}
