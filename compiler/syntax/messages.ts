// Every diagnostic of the model syntax (LPU1xxx): one table, so codes are unique and docs/language.md can list them.
import type { MessageDef } from "../../util/diagnostics.ts";

function error(code: string, text: string): MessageDef {
  return { code, severity: "error", text };
}

export const DTYPES_HINT = "the dtypes are int8, fp8, fp16, bf16, fp32, int32";

export const M = {
  /** {0}: "character '$'" or "characters '@@'". */
  unexpectedCharacter: error("LPU1001", "unexpected {0}"),
  /** {0}: what was expected, in words, including where ("')' after the arguments of 'matmul'"). */
  expected: error("LPU1002", "expected {0}"),
  /** {0}: expected; {1}: the token found instead. */
  expectedFound: error("LPU1002", "expected {0}, found {1}"),
  /** The hint is a near miss, or else the list of dtypes (DTYPES_HINT). */
  unknownDType: error("LPU1003", "unknown dtype '{0}'"),
  notAStatement: error("LPU1004", "expected a statement, found {0}"),
  returnOutsideBlock: error("LPU1005", "'return' is only allowed at the end of a block"),
  unmatchedBrace: error("LPU1006", "'}' without a block to close"),
  missingModel: error("LPU1007", "the file must start with 'model NAME'"),
  modelNotFirst: error("LPU1008", "'model {0}' must be the first statement"),
  duplicateModel: error("LPU1009", "a second 'model' statement (the model is already named '{0}')"),
  notInBlock: error("LPU1010", "{0} is not allowed inside a block"),
  reservedName: error("LPU1011", "'{0}' is a dtype and cannot be used as a name"),
  duplicateAttribute: error("LPU1012", "attribute '{0}' is given twice in the call to '{1}'"),
  positionalAfterAttribute: error(
    "LPU1013",
    "positional argument after an attribute in the call to '{0}' (tensors first, then key=value)",
  ),
  numberOutOfRange: error("LPU1014", "number '{0}' is too large"),
  repeatNeedsCall: error("LPU1015", "'repeat' takes a count and then a block call: repeat N BLOCK(args)"),
} as const satisfies Record<string, MessageDef>;
