// HuggingFace config.json (already parsed) -> model text in the language of docs/language.md.
// Guarantee: either `text` is set and the diagnostics hold no error, or there is no text and at least one error
// naming the field or option at fault. The same config and options always give byte-identical text.
import { type Diagnostic, diag, hasErrors } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import { ConfigFields, describe } from "./fields.ts";
import { importGpt2 } from "./gpt2.ts";
import { type LlamaFamily, readLlama } from "./llama.ts";
import { type EmitContext, emitLlama } from "./llama-emit.ts";
import { BAD_WEIGHT_DTYPE, NO_MODEL_TYPE, NOT_AN_OBJECT, NOT_JSON, UNKNOWN_MODEL_TYPE } from "./messages.ts";
import { baseName, checkPassOptions, givenName, identifier, type PassOptions } from "./text.ts";

export type Family = LlamaFamily | "gpt2";

/** model_type values the importer reads, and the architecture class each family's checkpoints name. */
const ARCHITECTURES: Readonly<Record<Family, string>> = {
  gpt2: "GPT2LMHeadModel",
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  mixtral: "MixtralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
};

export const SUPPORTED_MODEL_TYPES: readonly Family[] = (Object.keys(ARCHITECTURES) as Family[]).sort();

/** Types the importer can store the matmul weights in instead of the checkpoint's (8-bit: half of fp16's SRAM). */
export const WEIGHT_DTYPES = ["fp8"] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

export interface ImportOptions extends PassOptions {
  /** Store the matmul weights (projections, MLP, lm head) as this type; embeddings, norms, biases and the KV cache
   * keep the checkpoint's dtype. Default: the checkpoint's dtype for everything. */
  readonly weightDtype?: string;
  /** The model's name (an identifier); default: from `_name_or_path`, else the model_type. */
  readonly name?: string;
  /** The file named in diagnostics and the header comment; default "config.json". */
  readonly file?: string;
}

export interface ImportResult {
  readonly text?: string;
  readonly diagnostics: Diagnostic[];
}

export function importHfConfig(json: unknown, opts: ImportOptions = {}): ImportResult {
  const file = opts.file ?? "config.json";
  const optionErrors = checkPassOptions(opts, file);
  if (opts.weightDtype !== undefined && !(WEIGHT_DTYPES as readonly string[]).includes(opts.weightDtype))
    optionErrors.push(
      diag(
        BAD_WEIGHT_DTYPE,
        file,
        undefined,
        [opts.weightDtype, WEIGHT_DTYPES.join(", ")],
        didYouMean(opts.weightDtype, WEIGHT_DTYPES),
      ),
    );
  if (optionErrors.length > 0) return { diagnostics: optionErrors };
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { diagnostics: [diag(NOT_AN_OBJECT, file, undefined, [jsonKind(json)])] };
  }
  const config = json as Readonly<Record<string, unknown>>;
  const found = familyOf(config, file);
  if ("diagnostic" in found) return { diagnostics: [found.diagnostic] };
  const { family } = found;

  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  const arch = typeof architectures[0] === "string" ? architectures[0] : ARCHITECTURES[family];
  const cx: EmitContext = {
    name: modelName(opts.name, config, family),
    file,
    identity: `model_type '${family}', ${arch}`,
    pass: opts,
    weightDtype: opts.weightDtype as WeightDtype | undefined,
  };
  if (family === "gpt2") return importGpt2(config, cx);
  const fields = new ConfigFields(config, family, file);
  const spec = readLlama(fields, family, file);
  if (hasErrors(fields.diagnostics)) return { diagnostics: fields.diagnostics };
  return { text: emitLlama(spec, cx), diagnostics: fields.diagnostics };
}

/** Parses config.json text; a syntax error becomes LPU6000 with the parser's message. */
export function importHfJson(text: string, opts: ImportOptions = {}): ImportResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8 names the offset of a syntax error ("... at position 42"): point the underline at it.
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const span = at ? { start: Number(at[1]), end: Number(at[1]) + 1 } : undefined;
    return { diagnostics: [diag(NOT_JSON, opts.file ?? "config.json", span, [message])] };
  }
  return importHfConfig(json, opts);
}

/** model_type decides; without it, the first architectures entry the importer knows. */
function familyOf(
  config: Readonly<Record<string, unknown>>,
  file: string,
): { family: Family } | { diagnostic: Diagnostic } {
  const supported = SUPPORTED_MODEL_TYPES.join(", ");
  const type = config.model_type;
  if (typeof type === "string") {
    if (Object.hasOwn(ARCHITECTURES, type)) return { family: type as Family };
    return {
      diagnostic: diag(
        UNKNOWN_MODEL_TYPE,
        file,
        undefined,
        [type, supported],
        didYouMean(type, SUPPORTED_MODEL_TYPES),
      ),
    };
  }
  if (type !== undefined && type !== null) {
    return { diagnostic: diag(UNKNOWN_MODEL_TYPE, file, undefined, [describe(type), supported]) };
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  for (const a of architectures) {
    const family = SUPPORTED_MODEL_TYPES.find((f) => ARCHITECTURES[f] === a);
    if (family !== undefined) return { family };
  }
  return { diagnostic: diag(NO_MODEL_TYPE, file, undefined, [supported]) };
}

function modelName(
  given: string | undefined,
  config: Readonly<Record<string, unknown>>,
  family: Family,
): string {
  if (given !== undefined) return givenName(given);
  const path = config._name_or_path;
  if (typeof path === "string" && path.trim() !== "" && path !== ".") return identifier(baseName(path));
  return family;
}

function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}
