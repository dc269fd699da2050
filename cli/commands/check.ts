// `lpu check FILE.model [--set k=v ...]`: parse, build and verify a model. Valid: one OK line on stdout, exit 0.
// Invalid: the diagnostics on stderr, exit 1. `--json` prints the verdict and diagnostics as data instead.
import type { Command } from "commander";
import { loadModel } from "../../compiler/frontend.ts";
import { graphStats } from "../../compiler/graph/stats.ts";
import { formatBytes, formatCount } from "../../compiler/graph/stats-text.ts";
import { hasErrors, LineIndex, sortDiagnostics, UserError } from "../../util/diagnostics.ts";
import { action, collectSet, readSource, reportDiagnostics, stableJson } from "../common.ts";

interface Options {
  set?: Record<string, string>;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("check")
    .description("validate a .model file: syntax, names, constants, every shape and dtype")
    .argument("<file>", "the .model file")
    .option("--set <name=value>", "override a constant (repeatable), e.g. --set ctx=2048", collectSet)
    .option("--json", "print {ok, model, nodes, params, diagnostics} as JSON on stdout")
    .addHelpText(
      "after",
      `
Exit status: 0 when the model is valid, 1 when it has errors (printed on stderr as file:line:col: error LPU....).

Examples:
  lpu check programs/tiny-gpt.model
  lpu check programs/llama2-7b.model --set ctx=4096 --set batch=8`,
    )
    .action(
      action((file: string, opts: Options) => {
        const text = readSource(file);
        const result = loadModel(text, file, opts.set ?? {});
        if (opts.json) {
          const index = new LineIndex(text);
          const diagnostics = sortDiagnostics(result.diagnostics).map((d) => ({
            ...d,
            ...(d.span && d.span.start >= 0 ? index.position(d.span.start) : {}),
          }));
          const g = result.graph;
          const params = g ? graphStats(g).params.count : undefined;
          process.stdout.write(
            stableJson({
              file,
              ok: g !== undefined,
              model: g?.name,
              nodes: g?.graph.nodeCount(),
              params,
              diagnostics,
            }),
          );
          if (hasErrors(result.diagnostics)) process.exitCode = 1;
          return;
        }
        reportDiagnostics(result.diagnostics, text);
        const g = result.graph;
        if (!g) throw new UserError("no graph was built");
        const s = graphStats(g);
        process.stdout.write(
          `${file}: ok: model ${g.name}, ${g.graph.nodeCount()} nodes, ${formatCount(s.params.count)} params ` +
            `(${formatBytes(s.params.bytes)}), KV cache ${formatBytes(s.state.bytes)}\n`,
        );
      }),
    );
}
