// docs/report.png: the README's screenshot of the example report, made by the README's own tour
// (import, then report) in a temporary folder, in Chromium 1280 pixels wide. Run by examples/make.ts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

function ib(dir: string, args: string[]): void {
  const result = spawnSync(path.join(PROJECT_ROOT, "ib"), args, { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) throw new Error(`./ib ${args.join(" ")} exited ${result.status}`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inference-bench-screenshot-"));
  try {
    fs.cpSync(path.join(PROJECT_ROOT, "examples"), path.join(dir, "examples"), { recursive: true });
    ib(dir, ["import", "--output", "examples", "--db", "output/results.db"]);
    ib(dir, ["report", "--run-id", "example1", "--db", "output/results.db"]);
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`file://${path.join(dir, "output", "example1", "report.html")}`, { waitUntil: "load" });
      await page.screenshot({ path: path.join(PROJECT_ROOT, "docs", "report.png") });
    } finally {
      await browser.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
