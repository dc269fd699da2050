// The compiler back end's diagnostics (LPU5xxx): mistakes and limits the user can act on, as data.
import type { MessageDef } from "../../util/diagnostics.ts";

export const M = {
  notEnoughChips: {
    code: "LPU5001",
    severity: "error",
    text: "{0} at {1} needs at least {2} chips ({3} bytes of weights, state and activations as packed; {4} usable of each chip's {5} bytes); {6} were given",
  },
  unsupportedOp: {
    code: "LPU5002",
    severity: "error",
    text: "the LPU back end cannot lower '{0}' (node '{1}') yet",
  },
  unsupportedShape: {
    code: "LPU5003",
    severity: "error",
    text: "the LPU back end cannot lower node '{0}': {1}",
  },
  unsupportedType: {
    code: "LPU5004",
    severity: "error",
    text: "node '{0}' uses dtype {1}, which the LPU back end does not lower yet",
  },
  mxmType: {
    code: "LPU5004",
    severity: "error",
    text: "node '{0}' multiplies {1} operands, which the MXM does not take (it multiplies int8, uint8, fp8, fp16 and bf16); cast them first, e.g. cast(x, to=fp16)",
  },
  // LPU5005: a tensor's block found no place in SRAM; the texts say what ran out (allocate-full.ts).
  sramFull: {
    code: "LPU5005",
    severity: "error",
    text: "SRAM of chip {0} is full: a block of tensor '{1}' needs {2} bytes ({3} words in each of {4} slices), and {5} of the chip's {6} bytes are free; more chips with --partition spread, or a smaller model (--set, e.g. ctx or batch)",
  },
  sliceFull: {
    code: "LPU5005",
    severity: "error",
    text: "SRAM of chip {0} has bytes free but no slice group for tensor '{1}': its block needs {2} free words in a row in a group of {3} slices, the longest such run is {4} words, and the chip's {5} free bytes (of {6}) are in shorter runs (slice ends, freed blocks, words below wide weight blocks); more chips with --partition spread put fewer tensors on each",
  },
  sliceClash: {
    code: "LPU5005",
    severity: "error",
    text: "SRAM of chip {0} has bytes free but no slice group for tensor '{1}': {2} groups of {3} slices have room for its block of {4} words, but tiles that the same task reads or writes sit on every one (a task's tiles take distinct slices), with {5} of the chip's {6} bytes free: a limit of the compiler's layout, not of the chip's size",
  },
  blockTallerThanSlice: {
    code: "LPU5005",
    severity: "error",
    text: "SRAM of chip {0} cannot hold tensor '{1}': its blocks of {2} words are taller than a MEM slice ({3} words), whatever the chip count; a machine with longer slices (--arch-set mem_words=...)",
  },
  chipsUnused: {
    code: "LPU5006",
    severity: "warning",
    text: "{0} chips were given but the partitioner uses {1} ({2})",
  },
  unknownStrategy: {
    code: "LPU5008",
    severity: "error",
    text: "unknown partition strategy '{0}'; the strategies are: {1}",
  },
  noLayerPlacement: {
    code: "LPU5009",
    severity: "error",
    text: "--partition layers cannot place {0}: {1}",
  },
  notStamped: {
    code: "LPU5010",
    severity: "warning",
    text: "{0}: the repeated block's first unit cannot be stamped ({1}); compiled whole",
  },
  spreadOverflow: {
    code: "LPU5011",
    severity: "warning",
    text: "the partitioner's estimate placed {0} where allocation found SRAM full ({1}); compiled with --partition pack instead",
  },
  packOverflow: {
    code: "LPU5011",
    severity: "warning",
    text: "the packing placed {0} on the fewest chips ({1}), where allocation found SRAM full ({2}); compiled with --partition spread over the {3} chips given instead",
  },
  unknownPass: {
    code: "LPU5007",
    severity: "error",
    text: "unknown pass '{0}'; the passes are: {1}",
  },
} as const satisfies Record<string, MessageDef>;
