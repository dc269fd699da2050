// The LPU simulator's public face: the Simulator (step API), running a program to its results, and the report.
export { ChipClock, drawClock } from "./clock.ts";
export { formatHazards, type Hazard } from "./hazards.ts";
export { HAZARDS, type HazardName } from "./messages.ts";
export type { OutputValues, RunResult } from "./results.ts";
export { type SimOptions, Simulator } from "./simulator.ts";
export type { MachineState } from "./state.ts";
