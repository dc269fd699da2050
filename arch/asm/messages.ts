// The LPU3xxx message table: assembly syntax and meaning (30xx), the JSON form (31xx), machine options (39xx).
import type { MessageDef } from "../../util/diagnostics.ts";

const e = (code: string, text: string): MessageDef => ({ code, severity: "error", text });
const w = (code: string, text: string): MessageDef => ({ code, severity: "warning", text });

export const M = {
  syntax: e("LPU3001", "{0}"),
  badCharacter: e("LPU3002", "unexpected character '{0}'"),
  unknownDirective: e("LPU3003", "unknown directive '{0}'"),
  unknownMnemonic: e("LPU3004", "unknown instruction '{0}'"),
  unknownType: e("LPU3005", "unknown element type '{0}'"),
  typeSuffixes: e("LPU3006", "'{0}' takes {1}, as in '{2}'"),
  unknownQueue: e("LPU3007", "unknown queue '{0}'"),
  noSuchQueue: e("LPU3008", "{0} has no queue '{1}' (it has {2})"),
  badStream: e("LPU3009", "expected a stream such as 's3e' or 's0w', got '{0}'"),
  streamRange: e("LPU3010", "a {0} operand at {1} spans streams {2}..{3}, but {4} has {5} per direction"),
  operandCount: e("LPU3011", "'{0}' takes {1}, got {2}"),
  unknownOption: e("LPU3012", "unknown option '{0}' for '{1}'"),
  duplicateOption: e("LPU3013", "option '{0}' given twice"),
  badInteger: e("LPU3014", "{0} must be a whole number {1}, got '{2}'"),
  badNumber: e("LPU3015", "expected a number, got '{0}'"),
  noQueue: e("LPU3016", "instruction outside a queue: start one with '.queue mem0' (or another queue)"),
  unknownArch: e("LPU3017", "unknown machine preset '{0}'"),
  archTwice: e("LPU3018", "'.arch' must come once, before everything else"),
  valueRange: e("LPU3019", "value {0} does not fit {1}"),
  planeCount: e("LPU3020", "{0} data has {1} byte plane(s), so it needs {1} slice(s), got {2}"),
  duplicateMap: e("LPU3021", "map '{0}' is defined twice"),
  mapLength: e("LPU3022", "a lane map has {0} entries (one per lane), got {1}"),
  badMapForm: e("LPU3023", "unknown map form '{0}'"),
  duplicateOutput: e("LPU3024", "output '{0}' is defined twice on chip {1}"),
  badWire: e("LPU3025", "expected a link end such as '0:c2c3' (chip:link), got '{0}'"),
  wireTwice: e("LPU3026", "link {0} of chip {1} is wired twice"),
  badBase64: e("LPU3027", "invalid base64 data"),
  tooManyValues: e("LPU3028", "{0} values do not fit in {1} word(s) of {2} lanes"),
  badDataForm: e(
    "LPU3029",
    "expected the data: a list '[1, 2, ...]', 'fill V', 'iota', 'seed N' or a base64 string",
  ),
  unknownMap: e("LPU3030", "unknown lane map '{0}'"),
  notMemSlice: e("LPU3031", "expected a MEM slice such as 'mem3', got '{0}'"),
  missingArg: e("LPU3032", "'{0}' needs {1}"),
  extraArg: e("LPU3033", "unexpected '{0}' after {1}"),
  wrongOperandKind: e("LPU3034", "operand {0} of '{1}' must be {2}, got '{3}'"),
  badMxmType: e("LPU3035", "'{0}' does not take {1}; it takes {2}"),
  rawBytesType: e("LPU3036", "raw 'bytes' data names one slice and is given as 'fill B' or a base64 string"),
  wrongQueue: e("LPU3038", "'{0}' runs on {1} queues, not on '{2}'"),
  noArch: w("LPU3037", "no '.arch' line: assuming 'tsp-v1'"),
  badCopy: e("LPU3039", "{0}"),

  badJson: e("LPU3101", "not valid JSON: {0}"),
  jsonShape: e("LPU3102", "{0}: {1}"),

  unknownArchKey: e("LPU3901", "unknown machine option '{0}'"),
  badArchValue: e("LPU3902", "machine option {0}={1}: {2}"),
} as const;
