// The sweep engine end to end on worker threads, with a test evaluation (fixtures/square.ts) so that no compiler or
// simulator is needed: order, failures, crashes, shards and merging.
import { describe, expect, it } from "vitest";
import { csvToSheet, sheetToCsv } from "../../compiler/sweep/csv.ts";
import { type Outcome, safeEvaluate } from "../../compiler/sweep/evaluation.ts";
import { type Block, combinations } from "../../compiler/sweep/grid.ts";
import { mergeCsv } from "../../compiler/sweep/merge.ts";
import { runSweep } from "../../compiler/sweep/run.ts";
import {
  formatMetric,
  formatSheet,
  missingCombinations,
  type Sheet,
  sheetJson,
} from "../../compiler/sweep/sheet.ts";
import * as square from "./fixtures/square.ts";

const blocks: Block[] = [
  {
    target: "sq",
    axes: [
      { name: "n", values: ["1", "3", "12", "5"] },
      { name: "k", values: ["1", "2"] },
    ],
  },
  { target: "fail", axes: [{ name: "n", values: ["2"] }] },
];
const context: square.SquareContext = { limit: 10 };
const spec = { blocks, module: square.SQUARE_URL, context, metrics: square.SQUARE_METRICS, workers: 2 };

describe("sweep on worker threads", () => {
  it("returns rows in combination order whatever order they finished in, equal to evaluating each in turn", async () => {
    const finished: number[] = [];
    const sheet = await runSweep({ ...spec, onResult: (r) => finished.push(r.combination.index) });
    expect(sheet.rows.map((r) => r.combination)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...finished].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const serial: Outcome[] = [];
    for (const c of combinations(blocks)) serial.push(await safeEvaluate(square, c, context));
    expect(sheet.rows.map((r) => r.outcome)).toEqual(serial);
  });

  it("reports a configuration that cannot work in its own row and keeps every other row", async () => {
    const sheet = await runSweep(spec);
    const byKind = (k: string) => sheet.rows.filter((r) => r.outcome.kind === k).map((r) => r.combination);
    expect(byKind("failed")).toEqual([5, 6, 9]);
    expect(byKind("ok")).toEqual([1, 2, 3, 4, 7, 8]);
    expect(sheet.rows[4]!.outcome).toEqual({
      kind: "failed",
      reason: "does not fit: needs at most 10, got 12",
    });
    await expect(formatSheet(sheet)).toMatchFileSnapshot("./golden/square-table.txt");
  });

  it("turns an exception into a crashed row and a dead thread into a crashed row with a fresh worker", async () => {
    const crashing: Block[] = [
      {
        target: "sq",
        axes: [
          { name: "crash", values: ["no", "throw", "exit", "no2"] },
          { name: "n", values: ["2", "4"] },
        ],
      },
    ];
    const sheet = await runSweep({ ...spec, blocks: crashing, workers: 1 });
    const kinds = sheet.rows.map((r) => r.outcome.kind);
    expect(kinds).toEqual(["ok", "ok", "crashed", "crashed", "crashed", "crashed", "ok", "ok"]);
    const reasons = sheet.rows.map((r) => (r.outcome.kind === "crashed" ? r.outcome.reason : ""));
    expect(reasons[2]).toBe("Error: deliberate crash at n=2");
    expect(reasons[4]).toBe("worker thread exited with code 7");
  });

  it("gives the same sheet with one worker as with three", async () => {
    const one = await runSweep({ ...spec, workers: 1 });
    const three = await runSweep({ ...spec, workers: 3 });
    expect(sheetToCsv(three)).toBe(sheetToCsv(one));
  });
});

describe("shards and merging", () => {
  it("merges the CSVs of every shard into the byte-identical CSV of the unsharded sweep", async () => {
    const whole = sheetToCsv(await runSweep(spec));
    // As an array job would run them: each shard on its own, concurrently.
    const shards = await Promise.all(
      [1, 2, 3, 4].map(async (i) =>
        sheetToCsv(await runSweep({ ...spec, workers: 1, shard: { index: i, count: 4 } })),
      ),
    );
    // Files in any order, one shard delivered twice (a re-run job): the merge is the same.
    const files = [3, 1, 4, 2, 3].map((i) => ({ file: `s${i}.csv`, text: shards[i - 1]! }));
    const merged = mergeCsv(files, square.SQUARE_METRICS);
    expect(merged.missing).toEqual([]);
    expect(merged.duplicates).toBe(shards[2]!.trim().split("\n").length - 1);
    expect(sheetToCsv(merged.sheet)).toBe(whole);
  });

  it("counts as missing only the combinations of the sheet's own shard", async () => {
    const two = await runSweep({ ...spec, shard: { index: 2, count: 4 } });
    expect(two.rows.map((r) => r.combination)).toEqual([2, 6]);
    expect(missingCombinations(two)).toEqual([]);
    expect(missingCombinations({ ...two, rows: two.rows.slice(1) })).toEqual([2]);
  });

  it("reports the combinations of a shard that never arrived", async () => {
    const texts = await Promise.all(
      [1, 3].map(async (i) =>
        sheetToCsv(await runSweep({ ...spec, workers: 1, shard: { index: i, count: 3 } })),
      ),
    );
    const merged = mergeCsv(
      texts.map((text, j) => ({ file: `s${j}.csv`, text })),
      square.SQUARE_METRICS,
    );
    expect(merged.missing).toEqual([2, 5, 8]);
    expect(formatSheet(merged.sheet)).toContain("missing combinations: 2, 5, 8");
  });
});

describe("sweep CSV", () => {
  const sheet: Sheet = {
    combinations: 3,
    params: ["n"],
    metrics: square.SQUARE_METRICS,
    rows: [
      {
        combination: 1,
        target: "sq",
        params: { n: "1" },
        outcome: { kind: "ok", metrics: { square: 1, third: 1 / 3, label: 'a,"b"\nc' } },
      },
      {
        combination: 3,
        target: "sq",
        params: {},
        outcome: { kind: "failed", reason: 'needs "64" chips, at least' },
      },
    ],
  };
  it("reads back what it wrote: quotes, commas and line breaks in fields, every digit of a number", () => {
    const text = sheetToCsv(sheet);
    expect(csvToSheet(text, "x.csv", square.SQUARE_METRICS)).toEqual(sheet);
    expect(text.split("\n")[0]).toBe("combination,combinations,target,n,status,square,third,label,message");
  });
  it("a failed row keeps the figures it carries (the chips it needs) through CSV, JSON and the table", () => {
    const withFigure: Sheet = {
      ...sheet,
      rows: [
        sheet.rows[0]!,
        { ...sheet.rows[1]!, outcome: { kind: "failed", reason: "too few", metrics: { square: 64 } } },
      ],
    };
    expect(csvToSheet(sheetToCsv(withFigure), "x.csv", square.SQUARE_METRICS)).toEqual(withFigure);
    const json = sheetJson(withFigure) as { rows: { metrics?: unknown }[] };
    expect(json.rows[1]!.metrics).toEqual({ square: 64 });
    expect(formatSheet(withFigure)).toMatch(/^3 +sq +- +64 .*failed: too few$/m);
  });
  it("refuses to merge files with different columns or a different combination count", () => {
    const other = sheetToCsv({ ...sheet, params: ["m"], rows: [] });
    expect(() =>
      mergeCsv(
        [
          { file: "a.csv", text: sheetToCsv(sheet) },
          { file: "b.csv", text: other },
        ],
        [],
      ),
    ).toThrow(/b.csv has different columns from a.csv/);
    const bigger = sheetToCsv({ ...sheet, combinations: 4 });
    expect(() =>
      mergeCsv(
        [
          { file: "a.csv", text: sheetToCsv(sheet) },
          { file: "b.csv", text: bigger },
        ],
        [],
      ),
    ).toThrow(/b.csv is from a sweep of 4 combinations, a.csv of 3/);
  });
  it("refuses the same combination with different results", () => {
    const changed = sheetToCsv({
      ...sheet,
      rows: [{ ...sheet.rows[0]!, outcome: { kind: "failed", reason: "x" } }],
    });
    expect(() =>
      mergeCsv(
        [
          { file: "a.csv", text: sheetToCsv(sheet) },
          { file: "b.csv", text: changed },
        ],
        [],
      ),
    ).toThrow(/combination 1 differs between a.csv and b.csv/);
  });
  it("names the file and line of a malformed row", () => {
    expect(() =>
      csvToSheet("combination,combinations,target,status,message\n1,2,x,ok\n", "m.csv", []),
    ).toThrow(/m.csv: line 2: 4 fields where the header has 5/);
    expect(() => csvToSheet("a,b\n", "m.csv", [])).toThrow(/m.csv: not a sweep CSV/);
  });
});

describe("table numbers", () => {
  it("a significant-digits column keeps that many digits at every magnitude, with no exponent", () => {
    expect(formatMetric(0.00003677615, 4, 4)).toBe("0.00003678");
    expect(formatMetric(2.28912, 3, 4)).toBe("2.289");
    expect(formatMetric(1234.56, 3, 4)).toBe("1235");
    expect(formatMetric(987654.3, 3, 4)).toBe("987654");
    expect(formatMetric(0, 4, 4)).toBe("0.0000");
    expect(formatMetric(0.5, 3)).toBe("0.500");
  });
});
