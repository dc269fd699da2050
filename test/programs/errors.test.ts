// The error baseline: every programs/errors/NAME.model goes through the whole front end (parse, graph building,
// verification) and its formatted diagnostics must equal programs/errors/NAME.errors.txt. Every file must fail.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/frontend.ts";
import { formatDiagnostics, hasErrors } from "../../util/diagnostics.ts";

const DIR = new URL("../../programs/errors/", import.meta.url);
const files = readdirSync(DIR).sort();
const models = files.filter((f) => f.endsWith(".model"));

describe("programs/errors baseline", () => {
  it("holds broken inputs, and every golden belongs to one of them", () => {
    expect(models.length).toBeGreaterThanOrEqual(6);
    const orphans = files
      .filter((f) => f.endsWith(".errors.txt"))
      .filter((f) => !models.includes(f.replace(/\.errors\.txt$/, ".model")));
    expect(orphans).toEqual([]);
  });

  for (const file of models) {
    it(`${file} reports at least one error, exactly as in its .errors.txt`, async () => {
      const text = readFileSync(new URL(file, DIR), "utf8");
      const r = loadModel(text, `programs/errors/${file}`);
      expect(hasErrors(r.diagnostics)).toBe(true);
      expect(r.graph).toBeUndefined();
      const golden = `../../programs/errors/${file.replace(/\.model$/, ".errors.txt")}`;
      await expect(`${formatDiagnostics(r.diagnostics, text)}\n`).toMatchFileSnapshot(golden);
    });
  }
});
