// `lpu graph FILE.model`: a model's parameters and bytes by dtype, KV-cache bytes, FLOPs and bytes moved for one
// pass, and op counts (human units in text, exact numbers with --json); --print lists the graph, --dot writes
// Graphviz. Definitions of FLOPs and bytes moved: compiler/graph/stats.ts.
import type { Command } from "commander";
import { loadModel } from "../../compiler/frontend.ts";
import { graphToDot, graphToJson, printGraph } from "../../compiler/graph/print.ts";
import { graphStats } from "../../compiler/graph/stats.ts";
import { formatStats } from "../../compiler/graph/stats-text.ts";
import { UserError } from "../../util/diagnostics.ts";
import { action, collectSet, readSource, reportDiagnostics, stableJson, writeOutput } from "../common.ts";

interface Options {
  set?: Record<string, string>;
  json?: boolean;
  dot?: string | boolean;
  print?: boolean;
}

export function register(program: Command): void {
  program
    .command("graph")
    .description("print a model's parameters, KV cache, FLOPs, bytes moved and op counts")
    .argument("<file>", "the .model file")
    .option("--set <name=value>", "override a constant (repeatable), e.g. --set ctx=2048", collectSet)
    .option("--json", "exact numbers as JSON (with --print: the whole graph too)")
    .option("--dot [file]", "write the graph as Graphviz dot to FILE, or to stdout instead of the summary")
    .option("--print", "list the graph, one node per line: id = op(inputs) attrs : type")
    .addHelpText(
      "after",
      `
FLOPs count 2 per multiply-accumulate; attention counts QK and PV over all ctx + seq keys. Bytes moved is a
roofline measure: weights read once, the KV cache read and appended, every op's activations in and out.

Examples:
  lpu graph programs/llama2-7b.model
  lpu graph programs/tiny-gpt.model --print
  lpu graph programs/llama2-7b.model --set ctx=4096 --json
  lpu graph programs/tiny-gpt.model --dot tiny.dot && dot -Tsvg tiny.dot -o tiny.svg`,
    )
    .action(
      action((file: string, opts: Options) => {
        const text = readSource(file);
        const result = loadModel(text, file, opts.set ?? {});
        reportDiagnostics(result.diagnostics, text);
        const g = result.graph;
        if (!g) throw new UserError("no graph was built");
        if (opts.dot === true) {
          process.stdout.write(graphToDot(g));
          return;
        }
        if (typeof opts.dot === "string") {
          writeOutput(opts.dot, graphToDot(g));
          process.stderr.write(`wrote ${opts.dot}\n`);
        }
        const stats = graphStats(g);
        if (opts.json) {
          const doc = {
            file,
            model: g.name,
            constants: g.constants,
            stats,
            graph: opts.print ? graphToJson(g) : undefined,
          };
          process.stdout.write(stableJson(doc));
          return;
        }
        if (opts.print) process.stdout.write(`${printGraph(g)}\n`);
        process.stdout.write(formatStats(g, stats));
      }),
    );
}
