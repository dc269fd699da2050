// `lpu explain FILE.model --chips N`: compiles like `lpu compile` and shows where the cycles go: per layer and unit
// kind, busy and waiting; per unit kind, busy and idle; the critical chain of tasks; a Gantt chart of the start.
import type { Command } from "commander";
import { formatReport } from "../../compiler/schedule/bounds.ts";
import { explainSchedule } from "../../compiler/schedule/explain.ts";
import { action, parsePositiveInt } from "../common.ts";
import { addCompileOptions, type CompileFlags, compileFile } from "./compile.ts";

export function register(program: Command): void {
  const cmd = program
    .command("explain")
    .description(
      "show where the cycles of a compiled model go: per layer and unit, the critical chain, a Gantt chart",
    )
    .argument("<file>", "the .model file");
  addCompileOptions(cmd)
    .option(
      "--gantt-cycles <n>",
      "cycles the Gantt chart covers from cycle 0",
      parsePositiveInt("--gantt-cycles"),
      400,
    )
    .option("--width <n>", "characters per Gantt row", parsePositiveInt("--width"), 100)
    .addHelpText(
      "after",
      `
"busy" counts unit-cycles an instruction occupies its resource; "wait" counts cycles a task started after its
inputs were ready because a queue, an SRAM bank, a stream or an MXM plane was taken.

Examples:
  lpu explain programs/mlp2.model
  lpu explain programs/mlp2.model --gantt-cycles 2000 --width 120`,
    )
    .action(
      action((file: string, opts: CompileFlags & { ganttCycles: number; width: number }) => {
        const { graph, machine, result } = compileFile(file, opts, false);
        // A kernel op is named after the model op it was decomposed from plus suffixes (`layer.5.a.31` from
        // `layer.5.a`): its scope is the longest such prefix's.
        const scopeOf = (op: string) => {
          for (let id = op; id !== ""; id = id.slice(0, Math.max(0, id.lastIndexOf("."))))
            if (graph.graph.hasNode(id)) return graph.graph.node(id).scope;
          return "";
        };
        process.stdout.write(formatReport(result.report));
        process.stdout.write("\n");
        process.stdout.write(
          explainSchedule(result.schedule!, machine, {
            ganttCycles: opts.ganttCycles,
            width: opts.width,
            layerOf: scopeOf,
          }),
        );
      }),
    );
}
