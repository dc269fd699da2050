// The simulator's message table: every hazard of docs/isa.md ("Hazards") with its LPU4xxx code. Each text starts
// with `{0}`, the place (chip, queue, instruction, cycle), so every report names where and when.
import type { MessageDef } from "../../util/diagnostics.ts";

export type HazardName =
  | "stream-empty"
  | "stream-overwrite"
  | "unit-busy"
  | "bank-conflict"
  | "write-in-flight"
  | "address-range"
  | "sram-capacity"
  | "mxm-no-weights"
  | "mxm-type"
  | "acc-not-ready"
  | "bad-map"
  | "link-bandwidth"
  | "recv-empty"
  | "unwired-link"
  | "sync-never-notified"
  | "late-issue"
  | "bad-instruction"
  | "link-unreceived"
  | "too-many-hazards";

function error(code: string, text: string): MessageDef {
  return { code, severity: "error", text };
}

export const HAZARDS: Readonly<Record<HazardName, MessageDef>> = {
  "stream-empty": error("LPU4001", "{0}: takes {1} at position {2}, but the stream holds no word there"),
  "stream-overwrite": error(
    "LPU4002",
    "{0}: puts {1} at position {2} over a word that {3} put and no unit took",
  ),
  "unit-busy": error("LPU4003", "{0}: {1}"),
  "bank-conflict": error("LPU4004", "{0}: accesses bank {1} of {2}, which {3} also accesses in this cycle"),
  "write-in-flight": error(
    "LPU4005",
    "{0}: reads word {1} of {2}, but the write by {3} is visible only from cycle {4}",
  ),
  "address-range": error("LPU4006", "{0}: {1}"),
  "sram-capacity": error("LPU4007", "{0}: {1}"),
  "mxm-no-weights": error(
    "LPU4008",
    "{0}: streams activations through {1}, but no weights were installed (no iw)",
  ),
  "mxm-type": error("LPU4009", "{0}: {1}"),
  "acc-not-ready": error("LPU4010", "{0}: drains accumulator row {1}, {2}"),
  "bad-map": error("LPU4011", "{0}: {1}"),
  "link-bandwidth": error(
    "LPU4012",
    "{0}: the send buffer of link {1} already holds {2} words (its capacity): more words than the link can carry",
  ),
  "recv-empty": error("LPU4013", "{0}: needs {1} word(s) from link {2}, but {3} arrived by this cycle"),
  "unwired-link": error("LPU4014", "{0}: link {1} has no wire (add one with .wire)"),
  "sync-never-notified": error(
    "LPU4015",
    "{0}: the queue is parked on 'sync {1}' forever: no queue of chip {2} notifies '{1}' (deadlock)",
  ),
  "late-issue": error(
    "LPU4016",
    "{0}: its cycle passed while the queue was parked on sync (released in cycle {1})",
  ),
  "bad-instruction": error("LPU4017", "{0}: {1}"),
  "link-unreceived": {
    code: "LPU4018",
    severity: "warning",
    text: "{0}: {1} word(s) arrived on link {2} and were never received",
  },
  "too-many-hazards": { code: "LPU4019", severity: "note", text: "stopped after {0} hazards" },
};

/** One bit per hazard kind, for remembering cheaply which hazards an instruction has already reported. */
export const HAZARD_BIT: Readonly<Record<HazardName, number>> = Object.fromEntries(
  Object.keys(HAZARDS).map((name, i) => [name, 1 << i]),
) as Record<HazardName, number>;
