import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "gpu", "simulate a model on the dynamically scheduled GPU/HBM baseline", 5);
}
