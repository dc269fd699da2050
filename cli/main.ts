// The `lpu` command line: parses flags and hands over to the library. Each command lives in cli/commands/.
import { Command } from "commander";
import { UserError } from "../util/diagnostics.ts";
import { registerCommands } from "./commands/index.ts";

const program = new Command("lpu")
  .description(
    "Compile model graphs for statically scheduled, SRAM-only inference chips (Groq-style LPU), simulate them " +
      "cycle by cycle, and compare with a dynamically scheduled GPU/HBM baseline. Start with docs/tutorial.md.",
  )
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)");

// `lpu ... | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

registerCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Option parsers run before a command's action() boundary: a bad flag value is still a user error, not a crash.
  if (!(e instanceof UserError)) throw e;
  process.stderr.write(`lpu: ${e.message}\n(run with --help for usage)\n`);
  process.exitCode = 1;
}
