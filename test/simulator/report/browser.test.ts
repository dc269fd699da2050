// The HTML report in a real browser: Debian's chromium driven by playwright-core (which never downloads a
// browser). Checks the charts render with the right number of bars and Gantt rows, that zooming changes the
// Gantt's scale, that no request leaves the page, and takes a screenshot (out/report/, gitignored).
// Skipped, with a message saying how to install chromium, where /usr/bin/chromium does not exist.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe.skipIf(!HAVE_CHROMIUM)("report in headless Chromium (needs: apt-get install chromium)", () => {
  const data = fixtureReport();
  let profile = "";
  let context: BrowserContext;
  let page: Page;
  let pageUrl = "";
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, "report.html");
    writeFileSync(file, renderReport(data));
    pageUrl = pathToFileURL(file).href;
    profile = mkdtempSync(join(tmpdir(), "lpu-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
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
    const state = () =>
      page.evaluate(() => {
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
