// `lpu sweep --merge`: shard CSVs -> one sheet in combination order. Checks that every file has the same columns
// and the same combination count, drops a row seen twice with the same content (a re-run shard) and refuses one
// seen twice with different content (two different sweeps). Missing combinations are reported, not invented.
import { UserError } from "../../util/diagnostics.ts";
import { csvHeader, csvToSheet } from "./csv.ts";
import type { MetricColumn, Row, Sheet } from "./sheet.ts";
import { missingCombinations } from "./sheet.ts";

export interface CsvFile {
  readonly file: string;
  readonly text: string;
}

export interface Merged {
  readonly sheet: Sheet;
  /** 1-based combinations no file had, ascending. */
  readonly missing: readonly number[];
  /** Rows dropped because an identical row came earlier. */
  readonly duplicates: number;
}

export function mergeCsv(files: readonly CsvFile[], known: readonly MetricColumn[]): Merged {
  if (files.length === 0) throw new UserError("--merge needs at least one CSV file");
  const sheets = files.map((f) => ({ file: f.file, sheet: csvToSheet(f.text, f.file, known) }));
  const first = sheets[0]!;
  const header = csvHeader(first.sheet).join(",");
  let combinations = 0;
  let countFrom = "";
  for (const { file, sheet } of sheets) {
    if (csvHeader(sheet).join(",") !== header)
      throw new UserError(
        `${file} has different columns from ${first.file}:\n  ${csvHeader(sheet).join(",")}\n  ${header}\n` +
          "(shards of one sweep share the same command line apart from --shard)",
      );
    if (sheet.rows.length === 0) continue;
    if (countFrom && sheet.combinations !== combinations)
      throw new UserError(
        `${file} is from a sweep of ${sheet.combinations} combinations, ${countFrom} of ${combinations}`,
      );
    combinations = sheet.combinations;
    countFrom = file;
  }
  const byCombination = new Map<number, { row: Row; file: string; key: string }>();
  let duplicates = 0;
  for (const { file, sheet } of sheets)
    for (const row of sheet.rows) {
      const key = JSON.stringify(row);
      const seen = byCombination.get(row.combination);
      if (!seen) byCombination.set(row.combination, { row, file, key });
      else if (seen.key === key) duplicates++;
      else
        throw new UserError(
          `combination ${row.combination} differs between ${seen.file} and ${file}: were they the same sweep?`,
        );
    }
  const rows = [...byCombination.values()].map((v) => v.row).sort((a, b) => a.combination - b.combination);
  const sheet: Sheet = { combinations, params: first.sheet.params, metrics: first.sheet.metrics, rows };
  return { sheet, missing: missingCombinations(sheet), duplicates };
}
