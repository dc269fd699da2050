// The import-hf message table (LPU6xxx): every diagnostic `lpu import-hf` can report, with its code and wording.
import type { MessageDef } from "../../util/diagnostics.ts";

const error = (code: string, text: string): MessageDef => ({ code, severity: "error", text });
const warning = (code: string, text: string): MessageDef => ({ code, severity: "warning", text });

export const NOT_JSON = error("LPU6000", "not valid JSON: {0}");
export const UNKNOWN_MODEL_TYPE = error("LPU6001", "unknown model_type '{0}'; supported: {1}");
export const MISSING_FIELD = error("LPU6002", "missing field '{0}' (needed for {1})");
export const BAD_FIELD = error("LPU6003", "field '{0}' must be {1}, got {2}");
export const INCONSISTENT = error("LPU6004", "inconsistent sizes: {0}");
export const NOT_AN_OBJECT = error("LPU6005", "a config.json must hold a JSON object, got {0}");
export const NO_MODEL_TYPE = error(
  "LPU6006",
  "cannot tell the model family: no 'model_type' and no known 'architectures' entry; supported: {0}",
);
export const UNSUPPORTED_VALUE = error(
  "LPU6007",
  "field '{0}' is {1}, which the importer does not support ({2})",
);
export const BAD_OPTION = error("LPU6008", "option '{0}' must be a positive whole number, got {1}");
export const BAD_WEIGHT_DTYPE = error(
  "LPU6009",
  "--weight-dtype '{0}' is not a weight type the importer offers: {1}",
);
export const IGNORED_FIELD = warning("LPU6101", "field '{0}' is ignored: {1}");
