import type { Command } from "commander";
import { notBuilt } from "./not-built.ts";

export function register(program: Command): void {
  notBuilt(program, "import-hf", "turn a HuggingFace config.json into a .model file", 2);
}
