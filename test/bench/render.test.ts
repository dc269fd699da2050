// The benchmark report's two renderings: the printed table and the README's Markdown, each starting with the
// machine and the date, with the same cells; and the check that a results file is one `npm run bench` wrote.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { formatMarkdown, formatTable, parseReport } from "../../bench/render.ts";

const FIXTURE = "test/bench/fixtures/small.json";
const report = parseReport(readFileSync(FIXTURE, "utf8"), FIXTURE);

describe("benchmark report rendering", () => {
  it("the printed table starts with the machine (cores, CPU, memory, Node.js) and the date", async () => {
    const text = formatTable(report);
    expect(text.split("\n").slice(0, 2)).toEqual([
      "machine: 2 cores (Example CPU @ 2.20GHz), 7.8 GiB memory, Node.js v20.19.0, linux x64, load average 3.50 at the start",
      "date:    2026-11-26T21:40:05.123Z",
    ]);
    await expect(text).toMatchFileSnapshot("./golden/small-table.txt");
  });

  it("renders the README's Markdown table: machine and date, one row per result, notes, a | escaped", async () => {
    const text = formatMarkdown(report);
    expect(text).toContain("| tiny-gpt, 1 chip | 6791 | 0.412 | 0.399 | 0.003 | 0.003 | 2.12M |");
    expect(text).toContain("llama2-70b, 576 chips \\| decode");
    await expect(text).toMatchFileSnapshot("./golden/small.md");
  });

  it("`npm run bench:readme -- FILE` prints exactly formatMarkdown of the file", async () => {
    const r = await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/readme.ts", FIXTURE], {
      encoding: "utf8",
    });
    expect(r.stdout).toBe(formatMarkdown(report));
  });

  it("a file that is not a benchmark report is refused, naming what is wrong", () => {
    expect(() => parseReport("{", "x.json")).toThrow(/x.json: not JSON/);
    expect(() => parseReport('{"date": "d", "results": []}', "x.json")).toThrow(/no 'machine' object/);
    const bad = { ...report, results: [{ file: "bench/gpu.ts", name: "n", runs: "1000" }] };
    expect(() => parseReport(JSON.stringify(bad), "x.json")).toThrow(/results\[0\]\.runs is not a number/);
  });
});
