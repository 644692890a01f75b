import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

// Debian's chromium (scripts/install-deps.sh installs it), driven by playwright-core.
export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface ChartOnPage {
  id: string;
  title: string;
  // The plotting area (uPlot's .u-over) in page pixels; null: uPlot drew nothing there.
  plot: { x: number; y: number; width: number; height: number } | null;
  // Pixels in the plotting area with a clearly saturated colour: a drawn series
  // (grid lines, axes and the white background are grey).
  seriesPixels: number;
}

export interface PageView {
  png: Buffer;
  charts: ChartOnPage[];
  // Console errors and uncaught exceptions.
  errors: string[];
  // Every request other than the file itself (a self-contained page makes none).
  requests: string[];
  text: string;
}

function saturatedPixels(png: PNG, box: NonNullable<ChartOnPage["plot"]>): number {
  let n = 0;
  const x1 = Math.min(png.width, Math.floor(box.x + box.width));
  const y1 = Math.min(png.height, Math.floor(box.y + box.height));
  for (let y = Math.max(0, Math.ceil(box.y)); y < y1; y++) {
    for (let x = Math.max(0, Math.ceil(box.x)); x < x1; x++) {
      const i = (y * png.width + x) * 4;
      const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
  }
  return n;
}

// Opens an HTML file in headless Chromium with a fresh profile, waits for it to
// settle, and returns a full-page screenshot with where each chart was drawn.
export async function viewInChromium(file: string, screenshotPath?: string): Promise<PageView> {
  const profile = mkdtempSync(join(tmpdir(), "olt-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForTimeout(300);
    // Page coordinates: the page is at the top when loaded, and a full-page screenshot starts there.
    const placed = await page.$$eval(".chart", (els) =>
      els.map((el) => {
        const over = el.querySelector(".u-over");
        const r = over?.getBoundingClientRect();
        return {
          id: el.id,
          title: el.getAttribute("data-title") ?? "",
          plot: r ? { x: r.x, y: r.y, width: r.width, height: r.height } : null,
        };
      }),
    );
    const png = await page.screenshot({ fullPage: true, path: screenshotPath });
    const decoded = PNG.sync.read(png);
    const charts = placed.map((c) => ({ ...c, seriesPixels: c.plot ? saturatedPixels(decoded, c.plot) : 0 }));
    // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered (cells apart) is what a reader sees.
    const text = await page.innerText("body");
    return { png, charts, errors, requests, text };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
