// The message table of the graph builder (LPU2xxx: model semantics). Every user-facing graph error is one of these.
// Templates fill `{0}`, `{1}`... via util/diagnostics.ts `diag()`; shape messages always name both types.
import type { MessageDef } from "../../util/diagnostics.ts";

const error = (code: string, text: string): MessageDef => ({ code, severity: "error", text });

// Constants and --set overrides.
export const UNKNOWN_CONSTANT = error("LPU2001", "unknown constant '{0}'");
export const INEXACT_DIVISION = error("LPU2002", "'/' does not divide exactly: {0} / {1}");
export const DIVISION_BY_ZERO = error("LPU2003", "division by zero: {0} {1} 0");
export const CONSTANT_NOT_INTEGER = error("LPU2004", "a constant must be an integer, got {0}");
export const CONSTANT_TOO_LARGE = error("LPU2005", "constant arithmetic overflows: {0}");
export const UNKNOWN_SET = error("LPU2006", "--set {0}: the model has no constant '{0}'");
export const SET_NOT_INTEGER = error("LPU2007", "--set {0}={1}: the value must be an integer");
export const NOT_A_CONSTANT = error("LPU2008", "'{0}' is a {1}, not a constant");
export const BAD_DIMENSION = error("LPU2009", "a dimension must be at least 1, got {0}");

// Names.
export const DUPLICATE_NAME = error("LPU2010", "'{0}' is already defined");
export const UNKNOWN_OP = error("LPU2011", "unknown op '{0}'");
export const UNKNOWN_TENSOR = error("LPU2012", "unknown tensor '{0}'");
export const NOT_A_TENSOR = error("LPU2013", "'{0}' is a {1}, not a tensor");
export const EXPECTED_TENSOR = error("LPU2014", "expected a tensor, got a constant expression");
export const BLOCK_SHADOWS_OP = error("LPU2015", "block '{0}' has the name of an op");
export const NOT_A_BLOCK = error("LPU2016", "repeat needs a block, but '{0}' is an op");
export const NO_OUTPUTS = error("LPU2017", "model '{0}' has no outputs");
export const UNKNOWN_BLOCK = error("LPU2018", "unknown block '{0}'");

// Op calls.
export const OPERAND_COUNT = error("LPU2020", "{0} takes {1} operands, got {2}");
export const UNKNOWN_ATTRIBUTE = error("LPU2021", "{0} has no attribute '{1}'");
export const MISSING_ATTRIBUTE = error("LPU2022", "{0} needs the attribute '{1}'");
export const ATTRIBUTE_TYPE = error("LPU2023", "{0}: attribute '{1}' must be {2}");
export const ATTRIBUTE_VALUE = error("LPU2024", "{0}: attribute '{1}' {2}");
export const RESULT_COUNT = error("LPU2025", "{0} gives {1} results, but {2} names are assigned");
export const MULTI_RESULT_VALUE = error(
  "LPU2026",
  "{0} gives {1} results; assign them by name (`a, b = {0}(...)`)",
);

// Shapes and dtypes (each names both types).
export const MATMUL_INNER = error("LPU2030", "{0}: inner dimensions differ: {1} x {2} ({3} vs {4})");
export const NO_BROADCAST = error("LPU2031", "{0}: shapes do not broadcast: {1} and {2}");
export const DTYPE_MISMATCH = error("LPU2032", "{0}: dtypes differ: {1} and {2}");
export const OPERAND_TYPE = error("LPU2033", "{0}: {1} must be {2}, got {3}");
export const TYPES_DISAGREE = error("LPU2034", "{0}: {1}: {2} and {3}");
export const RESHAPE_COUNT = error("LPU2035", "reshape: element counts differ: {0} to [{1}] ({2} vs {3})");
export const AXIS_RANGE = error("LPU2036", "{0}: axis {1} is out of range for {2}");

// Blocks, repeat, outputs.
export const BLOCK_ARG_COUNT = error("LPU2040", "block '{0}' takes {1} arguments, got {2}");
export const PORT_TYPE = error("LPU2041", "block '{0}': port '{1}' takes {2}, got {3}");
export const RETURN_TYPE = error("LPU2042", "block '{0}' declares result {1}, but '{2}' is {3}");
export const REPEAT_TYPE = error(
  "LPU2043",
  "repeat: block '{0}' returns {1}, but its first port '{2}' takes {3}, so uses cannot be chained",
);
export const REPEAT_COUNT = error("LPU2044", "repeat count must be at least 1, got {0}");
export const RECURSIVE_BLOCK = error("LPU2045", "block '{0}' uses itself ({1})");
export const REPEAT_NO_PORTS = error("LPU2046", "repeat: block '{0}' has no ports to chain");
export const OUTPUT_TYPE = error("LPU2047", "output '{0}' is {1}, but declared {2}");
export const ROLE_IN_BLOCK = error("LPU2048", "'{0}' cannot be declared inside a block");
