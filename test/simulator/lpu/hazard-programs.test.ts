// Golden hazard reports: every broken program in programs/asm/hazards/ (one per hazard kind, named after it) is
// run on its preset (plus the `; arch-set: k=v` of its first line, if any) and must report that hazard; the full
// report is compared with golden/hazards/NAME.txt.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAsm } from "../../../arch/asm/index.ts";
import { resolveMachine } from "../../../arch/derive.ts";
import { formatHazards, Simulator } from "../../../simulator/lpu/index.ts";

const DIR = "programs/asm/hazards";

describe("hazard programs", () => {
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith(".lasm"))
    .sort()) {
    const name = file.replace(/\.lasm$/, "");
    it(`${name}.lasm reports ${name}`, async () => {
      const path = join(DIR, file);
      const text = readFileSync(path, "utf8");
      const parsed = parseAsm(text, path);
      expect(parsed.diagnostics).toEqual([]);
      const sets: Record<string, string> = {};
      const header = /^; arch-set: (\S+)=(\S+)/.exec(text);
      if (header) sets[header[1]!] = header[2]!;
      const sim = new Simulator(parsed.program!, resolveMachine(parsed.program!.arch, sets), { seed: 1 });
      sim.run();
      expect(sim.hazards.map((h) => h.name)).toContain(name);
      await expect(`${formatHazards(sim.hazards, path, text)}\n`).toMatchFileSnapshot(
        `./golden/hazards/${name}.txt`,
      );
    });
  }
});
