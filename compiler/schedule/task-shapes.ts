// A task's shape (geometry.ts) per MXM plane while the scheduler tries it (placement.ts): in, the task, a plane and
// the task's index; out, its geometry there, solved once per (task, plane) and moved between planes rather than
// solved again. Kept only until the task is placed (forget).
import type { Machine } from "../../arch/machine.ts";
import type { Placement, Task } from "../passes/task-ir.ts";
import { type Geometry, onPlane, taskGeometry } from "./geometry.ts";

/** The shapes of a task not being tried (shared, never written). */
const NO_SHAPES: (Geometry | undefined)[] = [];

export class TaskShapes {
  /** Geometries solved while a task was tried and not yet placed (a group's first task on every free plane, the
   * starts soonestStart compares), by task index and plane. */
  private readonly geometries: (Geometry | undefined)[][] = [];
  /** The task last solved without keeping (relaxed runs, or no index) and its geometry on a plane. */
  private lastTask: Task | undefined;
  private lastGeo: Geometry | undefined;

  constructor(
    private readonly m: Machine,
    private readonly placements: ReadonlyMap<string, Placement>,
    private readonly relaxed: boolean,
  ) {}

  /** The task's shape on this plane: solved once per (task, plane) while the task is tried (a group's first task
   * on every free plane, then placed on one), or solved afresh when `index` is -1 (the relaxed runs place each
   * task right after trying it: nothing to keep). */
  of(task: Task, plane: number | undefined, index: number): Geometry {
    const { m } = this;
    if (plane === undefined) return taskGeometry(m, task, this.placements, plane);
    if (index < 0 || this.relaxed) {
      // The relaxed runs try an MXM task on every plane in a row: the first solved from its steps, the others
      // moved from it (geometry.ts onPlane).
      if (this.lastTask === task && this.lastGeo) return onPlane(m, task, this.lastGeo, plane);
      const geo = taskGeometry(m, task, this.placements, plane);
      this.lastTask = task;
      this.lastGeo = geo;
      return geo;
    }
    const all = this.geometries;
    while (all.length <= index) all.push(NO_SHAPES);
    let shapes = all[index]!;
    if (shapes === NO_SHAPES) {
      shapes = [];
      for (let k = 0; k < m.mxm.planes; k++) shapes.push(undefined);
      all[index] = shapes;
    }
    let geo = shapes[plane];
    if (!geo) {
      // Another plane's shape of the task, when one was solved, moved to this plane.
      let other: Geometry | undefined;
      for (let k = 0; k < shapes.length && !other; k++) other = shapes[k];
      geo = other ? onPlane(m, task, other, plane) : taskGeometry(m, task, this.placements, plane);
      shapes[plane] = geo;
    }
    return geo;
  }

  /** Drops what was kept for task `index` (placed: it is not tried again). */
  forget(index: number): void {
    if (index >= 0 && index < this.geometries.length) this.geometries[index] = NO_SHAPES;
  }
}
