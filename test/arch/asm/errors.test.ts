// Diagnostics goldens: each file under errors/ is assembled and its formatted diagnostics compared with
// golden/<name>.txt (LPU3xxx codes, positions, near-miss hints).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../arch/asm/index.ts";
import { programFromJson } from "../../../arch/asm/json.ts";
import { ELEM_TYPES, MNEMONICS } from "../../../arch/asm/names.ts";
import type { ElemType } from "../../../arch/isa.ts";
import { formatDiagnostics } from "../../../util/diagnostics.ts";

const dir = new URL("./errors/", import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".lasm"))
  .sort();

describe("assembly diagnostics", () => {
  for (const f of files) {
    it(`reports the mistakes in ${f} with positions and hints`, async () => {
      const text = readFileSync(new URL(f, dir), "utf8");
      const r = parseAsm(text, `errors/${f}`);
      expect(r.program).toBeUndefined();
      await expect(`${formatDiagnostics(r.diagnostics, text)}\n`).toMatchFileSnapshot(
        `./golden/${f.replace(/\.lasm$/, ".txt")}`,
      );
    });
  }

  it("a syntax error costs only its own line: the next lines are still read", () => {
    const text = ".arch tsp-v1\n.queue mem3\n  read 0 s3e\n  raed 1, s3e\n  write 2, s3e, n=\n";
    const r = parseAsm(text, "t.lasm");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["LPU3001", "LPU3004", "LPU3001"]);
  });

  it("every mnemonic and element type with two neighbouring letters swapped gets a hint (one OSA edit)", () => {
    let checked = 0;
    for (const name of [...MNEMONICS, ...ELEM_TYPES])
      for (let k = 0; k + 1 < name.length; k++) {
        const typo = name.slice(0, k) + name[k + 1] + name[k] + name.slice(k + 2);
        if (typo === name || MNEMONICS.includes(typo)) continue;
        const line = ELEM_TYPES.includes(name as ElemType)
          ? `  add.${typo} s4e, s0e, s2e`
          : `  ${typo} 0, s3e`;
        const r = parseAsm(`.arch tsp-v1\n.queue vxm0\n${line}\n`, "t.lasm");
        const hint = r.diagnostics.find((d) => d.code === "LPU3004" || d.code === "LPU3005")?.hint;
        expect(hint, `${typo} for ${name}`).toMatch(/^did you mean '/);
        checked++;
      }
    expect(checked).toBeGreaterThan(MNEMONICS.length);
  });

  it("a program without .arch gets a warning and still assembles for tsp-v1", () => {
    const r = parseAsm(".queue mem0\n  read 0, s0e\n", "t.lasm");
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(["warning LPU3037"]);
    expect(r.program?.arch).toBe("tsp-v1");
  });
});

describe("JSON form diagnostics", () => {
  it("names the JSON path of each bad field", () => {
    const doc = {
      format: "lpu-program",
      version: 1,
      arch: "tsp-v1",
      maps: {},
      wires: [],
      chips: [
        {
          chip: 0,
          data: [{ slice: 3, addr: 0, bytes: "AAAA" }],
          outputs: [],
          queues: [
            {
              queue: "mem3",
              instructions: [
                { op: "read", addr: -1, stream: "s3e", n: 1, stride: 1 },
                { op: "frob" },
                { op: "write", addr: 0, stream: "s3q", n: 1, stride: 1, extra: 1 },
              ],
            },
          ],
        },
      ],
    };
    const r = programFromJson(JSON.stringify(doc), "p.json");
    expect(r.program).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "$.chips[0].data[0].bytes: expected base64 of a whole number of 320-byte words",
      "$.chips[0].queues[0].instructions[0].addr: expected a whole number >= 0",
      "$.chips[0].queues[0].instructions[1].op: unknown op",
      '$.chips[0].queues[0].instructions[2].stream: expected a stream such as "s3e"',
      "$.chips[0].queues[0].instructions[2].extra: unknown field for 'write'",
    ]);
  });

  it("reports text that is not JSON as LPU3101", () => {
    expect(programFromJson("{", "p.json").diagnostics[0]?.code).toBe("LPU3101");
  });
});
