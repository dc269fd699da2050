// The `lpu` command line: parses flags and hands over to the library. Each command lives in cli/commands/.
import { Command } from "commander";
import { registerCommands } from "./commands/index.ts";

const program = new Command("lpu")
  .description(
    "Compile model graphs for statically scheduled, SRAM-only inference chips (Groq-style LPU),\n" +
      "simulate them cycle by cycle, and compare with a dynamically scheduled GPU/HBM baseline.",
  )
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)");

registerCommands(program);
await program.parseAsync(process.argv);
