import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "graph", "print a model's parameters, KV cache, FLOPs and op counts", 2);
}
