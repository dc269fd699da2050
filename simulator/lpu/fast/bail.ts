// The fast path's way out: thrown when a run might report a hazard, or does something the interval logic does not
// decide cheaply. The simulator then runs the program with the exact per-vector engine, which gives the report.
export class Bail {
  constructor(readonly reason: string) {}
}
