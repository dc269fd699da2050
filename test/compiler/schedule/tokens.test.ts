// The report's tokens/s counts the new tokens of one pass, batch * seq: a prefill of seq tokens per sequence makes
// seq tokens per pass, as the GPU summary and `lpu compare` count them.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";

const MLP = `model mlp
const batch = 2
const seq = 3
input x: fp16[batch, seq, 320]
param w: fp16[320, 320]
output y = relu(matmul(x, w))
`;

describe("compile report: tokens per second", () => {
  it("tokens/s = batch * seq / latency (batch 2, seq 3: six tokens per pass)", () => {
    const graph = loadModel(MLP, "mlp.model", {}).graph!;
    const r = compile(graph, TSP_V1, { chips: 1, file: "mlp.model" }).report!;
    expect(r.latencyUs).toBeGreaterThan(0);
    expect(r.tokensPerS).toBeCloseTo((6 * 1e6) / r.latencyUs, 6);
  });
});
