// tiny-gpt pipelined over 2 chips, up to the allocator's input: the case the allocator's round tests share.
import { readFileSync } from "node:fs";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { roundInput } from "../../../compiler/passes/allocate.ts";
import type { RoundInput } from "../../../compiler/passes/allocate-round.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { placeStages } from "../../../compiler/passes/stages.ts";
import { tile } from "../../../compiler/passes/tile.ts";

export function tinyGptRoundInput(): RoundInput {
  const path = "programs/tiny-gpt.model";
  const graph = loadModel(readFileSync(path, "utf8"), path).graph!;
  const d = decompose(graph, path);
  const p = partition(d.kernel, TSP_V1, 2, path, "pipeline");
  const g = placeStages(tile(p.partitioned, TSP_V1), p.partitioned, TSP_V1);
  return roundInput(g, TSP_V1, path, true);
}
