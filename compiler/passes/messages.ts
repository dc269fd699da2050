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
  sliceFull: {
    code: "LPU5005",
    severity: "error",
    text: "SRAM of chip {0} is full: tensor '{1}' needs {2} words in {3} slices",
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
  unknownPass: {
    code: "LPU5007",
    severity: "error",
    text: "unknown pass '{0}'; the passes are: {1}",
  },
} as const satisfies Record<string, MessageDef>;
