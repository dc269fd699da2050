// Message table for GPU and comparison options (LPU7xxx): every user-facing GPU error, in one place.
import type { MessageDef } from "../../util/diagnostics.ts";

export const GpuMessages = {
  unknownPreset: { code: "LPU7001", severity: "error", text: "unknown GPU '{0}' (known: {1})" },
  unknownKey: { code: "LPU7002", severity: "error", text: "unknown GPU setting '{0}'" },
  badValue: { code: "LPU7003", severity: "error", text: "GPU setting '{0}' {1}, got '{2}'" },
  inconsistent: { code: "LPU7004", severity: "error", text: "GPU settings disagree: {0}" },
  unknownCostKey: { code: "LPU7005", severity: "error", text: "unknown cost setting '{0}'" },
  badCostValue: { code: "LPU7006", severity: "error", text: "cost setting '{0}' {1}, got '{2}'" },
  badOption: { code: "LPU7007", severity: "error", text: "{0}" },
  doesNotFit: {
    code: "LPU7008",
    severity: "error",
    text: "the model does not fit in HBM on {0}: it needs {1} per GPU ({2}) and each GPU has {3}",
  },
} as const satisfies Record<string, MessageDef>;
