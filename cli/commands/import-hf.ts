// `lpu import-hf config.json`: a HuggingFace config.json -> model text on stdout or in a file (-o).
// Diagnostics (LPU6xxx) go to stderr; any error means no output and exit code 1.
import type { Command } from "commander";
import { importHfJson, SUPPORTED_MODEL_TYPES, WEIGHT_DTYPES } from "../../compiler/import/hf.ts";
import { UserError } from "../../util/diagnostics.ts";
import { action, parsePositiveInt, readSource, reportDiagnostics, writeOutput } from "../common.ts";

interface Options {
  output?: string;
  name?: string;
  ctx?: number;
  batch?: number;
  seq?: number;
  weightDtype?: string;
}

export function register(program: Command): void {
  program
    .command("import-hf")
    .description("turn a HuggingFace config.json into a .model file")
    .argument("<config>", "path to a config.json")
    .option("-o, --output <file>", "write the model text here instead of stdout")
    .option("--name <name>", "model name (default: from _name_or_path, else the model_type)")
    .option(
      "--ctx <n>",
      "tokens already in the KV cache (default: half the context window, at most 4096)",
      parsePositiveInt("--ctx"),
    )
    .option("--batch <n>", "sequences per pass (default 1)", parsePositiveInt("--batch"))
    .option(
      "--seq <n>",
      "new tokens per sequence (default 1: one decode step; more: a prefill)",
      parsePositiveInt("--seq"),
    )
    .option(
      "--weight-dtype <type>",
      `store the matmul weights (projections, MLP, lm head) as this type, halving their SRAM; embeddings, norms and the KV cache keep the checkpoint's (${WEIGHT_DTYPES.join(", ")})`,
    )
    .addHelpText(
      "after",
      `
Supported model_type values: ${SUPPORTED_MODEL_TYPES.join(", ")}.
Every size in the output is a const, so it can still be changed later with --set (e.g. lpu graph out.model --set ctx=8192).

Examples:
  lpu import-hf config.json > llama.model
  lpu import-hf config.json -o llama.model --name llama3_8b --ctx 8192
  lpu import-hf config.json -o llama-fp8.model --weight-dtype fp8`,
    )
    .action(
      action((configPath: string, opts: Options) => {
        const source = readSource(configPath);
        const result = importHfJson(source, {
          file: configPath,
          name: opts.name,
          ctx: opts.ctx,
          batch: opts.batch,
          seq: opts.seq,
          weightDtype: opts.weightDtype,
        });
        reportDiagnostics(result.diagnostics, source);
        if (result.text === undefined) throw new UserError("no model text produced");
        if (opts.output === undefined) {
          process.stdout.write(result.text);
          return;
        }
        writeOutput(opts.output, result.text);
        process.stderr.write(`wrote ${opts.output}\n`);
      }),
    );
}
