// `lpu eval FILE.model [--set k=v ...] [--seed N] [--values K] [--json]`: run the reference interpreter on seeded
// inputs, params and state, and print each output's type, checksum and first K values. Byte-identical for the same
// model, sets and seed. Models too large to evaluate here are refused before any work, naming their size.
import { type Command, InvalidArgumentError } from "commander";
import { loadModel } from "../../compiler/frontend.ts";
import { evalCost, overLimits } from "../../compiler/reference/budget.ts";
import { interpret } from "../../compiler/reference/interpret.ts";
import { evalReportJson, evalReportText, tooLargeMessage } from "../../compiler/reference/report.ts";
import { UserError } from "../../util/diagnostics.ts";
import { action, collectSet, readSource, reportDiagnostics, stableJson } from "../common.ts";

interface Options {
  set?: Record<string, string>;
  seed: number;
  values: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("eval")
    .description(
      "evaluate a model on seeded numbers with the reference interpreter: output checksums and values",
    )
    .argument("<file>", "the .model file")
    .option(
      "--set <name=value>",
      "override a constant (repeatable), e.g. --set d=64 --set layers=2",
      collectSet,
    )
    .option("--seed <n>", "seed for every input, param and state (0 .. 2^32-1)", parseSeed, 0)
    .option("--values <k>", "how many leading values of each output to print", parseCount, 8)
    .option(
      "--json",
      "print {model, seed, sets, cost, outputs: [{name, dtype, shape, checksum, values}]} as JSON",
    )
    .addHelpText(
      "after",
      `
Inputs, params and state are drawn from the seed (compiler/reference/init.ts): token ids within the vocabulary,
weights with std 1/sqrt(fan-in), norm gains near 1. Arithmetic follows docs/language.md: fp32 accumulation in
matrix products, every result rounded to its dtype. The checksum is the sum, the sum of squares and an FNV-1a hash
of the stored fp32/int32 bit patterns; the same model, --set values and seed give byte-identical output.

Models needing more than about 2e8 parameter elements or 2e10 multiply-accumulates are refused: shrink them with
--set (e.g. --set layers=2 --set d=256).

Examples:
  lpu eval programs/tiny-gpt.model
  lpu eval programs/tiny-gpt.model --seed 7 --values 4 --json
  lpu eval programs/llama2-7b.model --set layers=1 --set d=256 --set ff=688 --set vocab=1000 --set ctx=16`,
    )
    .action(
      action((file: string, opts: Options) => {
        const text = readSource(file);
        const sets = opts.set ?? {};
        const result = loadModel(text, file, sets);
        reportDiagnostics(result.diagnostics, text);
        const g = result.graph;
        if (!g) throw new UserError("no graph was built");
        const cost = evalCost(g);
        const over = overLimits(cost);
        if (over.length > 0) throw new UserError(tooLargeMessage(file, g, over));
        const ev = interpret(g, { seed: opts.seed, retain: "outputs" });
        process.stdout.write(
          opts.json
            ? stableJson(evalReportJson(g, file, opts.seed, sets, cost, ev.outputs, opts.values))
            : evalReportText(g, opts.seed, cost, ev.outputs, opts.values),
        );
      }),
    );
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n >= 2 ** 32) {
    throw new InvalidArgumentError("expected a whole number from 0 to 4294967295");
  }
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("expected a whole number, 0 or more");
  }
  return n;
}
