// The HTML report in a real browser: Debian's chromium driven by playwright-core (which never downloads a
// browser). Checks the charts render with the right number of bars and Gantt rows, that zooming changes the
// Gantt's scale, that no request leaves the page, and takes a screenshot (out/report/, gitignored). Two pages: the
// fixture report, and the report `lpu compare programs/mlp2.model --runs 50 --report FILE` writes (run in-process).
// Skipped, with a message saying how to install chromium, where /usr/bin/chromium does not exist.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CompareOptions, compareReportData, register } from "../../../cli/commands/compare.ts";
import type { ReportData } from "../../../simulator/report/html/data.ts";
import { sharedBins } from "../../../simulator/report/html/histogram.ts";
import { renderReport } from "../../../simulator/report/html/render.ts";
import { fixtureReport, GPU_BARS, LPU_BARS } from "./fixtures.ts";

/** The few DOM calls the in-page functions make: the project compiles without the DOM library, and these
 * functions run in the browser, where `document` is the page's. */
interface DomElement {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
  getBBox(): { height: number };
  readonly textContent: string | null;
  readonly scrollWidth: number;
  readonly clientWidth: number;
}
declare const document: { getElementById(id: string): DomElement | null };

/** Debian's chromium; LPU_CHROMIUM points elsewhere (or at nothing, to see the skip). */
const CHROMIUM = process.env.LPU_CHROMIUM ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = join(import.meta.dirname, "../../..");
const OUT = join(ROOT, "out/report");
const SKIP_NOTE = `browser tests skipped: ${CHROMIUM} not found; install it with 'apt-get install chromium'`;

if (!HAVE_CHROMIUM) console.warn(SKIP_NOTE);

/** Headless Chromium with a throwaway profile; every request the pages make is collected. */
async function openBrowser(): Promise<{ context: BrowserContext; profile: string; requests: string[] }> {
  const profile = mkdtempSync(join(tmpdir(), "lpu-chromium-"));
  const requests: string[] = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
    viewport: { width: 1200, height: 900 },
  });
  context.on("request", (r) => requests.push(r.url()));
  return { context, profile, requests };
}

/** The Gantt's zoom state, read in the page. */
function zoomState(page: Page) {
  return page.evaluate(() => {
    const svg = document.getElementById("gantt")!;
    const scroll = document.getElementById("gantt-scroll")!;
    const rects = [...svg.querySelectorAll("g.bar rect")].map((r) => Number(r.getAttribute("width")));
    return {
      zoom: Number(svg.getAttribute("data-zoom")),
      width: Number(svg.getAttribute("width")),
      widest: Math.max(...rects),
      scrollable: scroll.scrollWidth > scroll.clientWidth,
      label: document.getElementById("gantt-scale")!.textContent,
    };
  });
}

describe.skipIf(!HAVE_CHROMIUM)("report in headless Chromium (needs: apt-get install chromium)", () => {
  const data = fixtureReport();
  let profile = "";
  let context: BrowserContext;
  let page: Page;
  let pageUrl = "";
  let requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, "report.html");
    writeFileSync(file, renderReport(data));
    pageUrl = pathToFileURL(file).href;
    ({ context, profile, requests } = await openBrowser());
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pageUrl);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("the histogram draws one bar per non-empty bin of each machine (LPU 1, GPU 7, counted by hand)", async () => {
    const lpu = await page.locator("#histogram rect.bar.lpu").count();
    const gpu = await page.locator("#histogram rect.bar.gpu").count();
    expect([lpu, gpu]).toEqual([LPU_BARS, GPU_BARS]);
    const counts = await page
      .locator("#histogram rect.bar.gpu")
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-count"))));
    expect(counts.reduce((s, n) => s + n, 0)).toBe(data.gpu.latencySamplesUs.length);
    const heights = await page
      .locator("#histogram rect.bar")
      .evaluateAll((els) => els.map((e) => (e as unknown as DomElement).getBBox().height));
    expect(heights.every((h) => h > 0)).toBe(true);
  });

  it("the Gantt chart has a row per unit lane and a bar per instruction of the data", async () => {
    const rows = await page.locator("svg.gantt-labels text.row-name").count();
    expect(rows).toBe(data.gantt.rows.length);
    const bars = await page.locator("#gantt g.bar").count();
    expect(bars).toBe(data.gantt.rows.reduce((s, r) => s + r.bars.length, 0));
    expect(bars).toBe(71); // the mlp2 fixture's 71 instructions, none a nop
    const box = await page.locator("#gantt").boundingBox();
    expect(box!.width).toBeGreaterThan(100);
  });

  it("the comparison and breakdown tables are filled", async () => {
    expect(await page.locator("#comparison tbody tr").count()).toBe(15);
    expect(await page.locator("#breakdown-table tbody tr").count()).toBe(data.breakdown.rows.length);
    expect(await page.title()).toBe(data.title);
  });

  it("zooming in doubles the Gantt's scale and its bars' widths; the chart then scrolls; fit restores it", async () => {
    const state = () => zoomState(page);
    const before = await state();
    expect(before.zoom).toBe(1);
    expect(before.scrollable).toBe(false);
    await page.click("#zoom-in");
    const after = await state();
    expect(after.zoom).toBe(2);
    expect(after.width).toBeCloseTo(before.width * 2, 6);
    expect(after.widest).toBeCloseTo(before.widest * 2, 1);
    expect(after.scrollable).toBe(true);
    expect(after.label).not.toBe(before.label);
    await page.click("#zoom-reset");
    expect((await state()).zoom).toBe(1);
  });

  it("ctrl + wheel over the chart zooms too", async () => {
    const box = (await page.locator("#gantt-scroll").boundingBox())!;
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
    await page.keyboard.down("Control");
    await page.mouse.wheel(0, -200);
    await page.keyboard.up("Control");
    await page.waitForFunction(() => Number(document.getElementById("gantt")!.getAttribute("data-zoom")) > 1);
    await page.click("#zoom-reset");
  });

  it("no request leaves the page: the only one is the report file itself", async () => {
    expect(requests.filter((u) => u !== pageUrl)).toEqual([]);
  });

  it("takes a screenshot (out/report/report.png)", async () => {
    const path = join(OUT, "report.png");
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
  });
});

/** The options `lpu compare programs/mlp2.model --runs 50` runs with (its defaults spelled out). */
const COMPARE: CompareOptions = {
  chips: 1,
  arch: "tsp-v1",
  archSet: {},
  gpu: "h100-sxm",
  gpus: 1,
  runs: 50,
  seed: 1,
  concurrency: 1,
  background: 0,
  cudaGraph: false,
  set: {},
  gpuSet: {},
  costSet: {},
  json: false,
};

describe.skipIf(!HAVE_CHROMIUM)(
  "the report of lpu compare programs/mlp2.model --runs 50, in headless Chromium",
  () => {
    const file = join(OUT, "compare-mlp2.html");
    let data: ReportData;
    let profile = "";
    let context: BrowserContext;
    let page: Page;
    let requests: string[] = [];
    let printed = "";

    beforeAll(async () => {
      mkdirSync(OUT, { recursive: true });
      rmSync(file, { force: true });
      // The command itself, in-process: commander parses the flags and the action writes the file.
      const program = new Command().exitOverride();
      register(program);
      const out = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
        printed += String(s);
        return true;
      });
      try {
        await program.parseAsync(["compare", "programs/mlp2.model", "--runs", "50", "--report", file], {
          from: "user",
        });
      } finally {
        out.mockRestore();
      }
      data = compareReportData("programs/mlp2.model", COMPARE);
      ({ context, profile, requests } = await openBrowser());
      page = context.pages()[0] ?? (await context.newPage());
      await page.goto(pathToFileURL(file).href);
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    it("the command wrote the report of its own runs: the file is the rendering of those runs' data", () => {
      expect(process.exitCode ?? 0).toBe(0);
      expect(printed).toContain(`wrote ${file}`);
      expect(readFileSync(file, "utf8")).toBe(renderReport(data));
      expect(data.lpu.latencySamplesUs).toHaveLength(50);
      expect(data.gpu.latencySamplesUs).toHaveLength(50);
    });

    it("the histogram: one LPU bar (50 identical runs), a bar per non-empty bin of the GPU's 50 runs", async () => {
      const bins = sharedBins(data.lpu.latencySamplesUs, data.gpu.latencySamplesUs, 40);
      const nonEmpty = (c: readonly number[]) => c.filter((n) => n > 0).length;
      expect(await page.locator("#histogram rect.bar.lpu").count()).toBe(1);
      expect(await page.locator("#histogram rect.bar.gpu").count()).toBe(nonEmpty(bins.gpu));
      expect(nonEmpty(bins.gpu)).toBeGreaterThan(1);
      for (const side of ["lpu", "gpu"]) {
        const counts = await page
          .locator(`#histogram rect.bar.${side}`)
          .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-count"))));
        expect(counts.reduce((s, n) => s + n, 0)).toBe(50);
      }
    });

    it("the Gantt chart: a row per unit lane of the compiled schedule, a bar per instruction in the window", async () => {
      const bars = data.gantt.rows.reduce((s, r) => s + r.bars.length, 0);
      expect(data.gantt.rows.length).toBeGreaterThan(3);
      expect(bars).toBeGreaterThan(data.gantt.rows.length);
      expect(await page.locator("svg.gantt-labels text.row-name").count()).toBe(data.gantt.rows.length);
      expect(await page.locator("#gantt g.bar").count()).toBe(bars);
      expect(data.gantt.title).toBe("chip 0 (tsp-v1)");
    });

    it("the tables: 15 comparison rows, a breakdown row per unit kind (MEM, VXM, MXM, SXM, C2C)", async () => {
      expect(await page.locator("#comparison tbody tr").count()).toBe(15);
      expect(await page.locator("#breakdown-table tbody tr").count()).toBe(5);
      expect(await page.title()).toBe("mlp2: LPU vs GPU");
    });

    it("zooming in doubles the Gantt's scale and widths, and fit restores it", async () => {
      const before = await zoomState(page);
      await page.click("#zoom-in");
      const after = await zoomState(page);
      expect(after.zoom).toBe(2);
      expect(after.width).toBeCloseTo(before.width * 2, 6);
      expect(after.widest).toBeCloseTo(before.widest * 2, 1);
      expect(after.scrollable).toBe(true);
      await page.click("#zoom-reset");
      expect((await zoomState(page)).zoom).toBe(1);
    });

    it("no request leaves the page, and a screenshot is taken (out/report/compare-mlp2.png)", async () => {
      expect(requests.filter((u) => u !== pathToFileURL(file).href)).toEqual([]);
      const path = join(OUT, "compare-mlp2.png");
      await page.screenshot({ path, fullPage: true });
      expect(existsSync(path)).toBe(true);
    });
  },
);
