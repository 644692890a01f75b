import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { viewInChromium } from "../support/chromium";
import { k6UnderTest, runK6 } from "../support/k6";
import { freePort } from "../support/redis-server";

// The README's advice for watching a run: k6's built-in web dashboard on the
// pinned k6, bound to loopback, and its exported report opening offline.
describe("k6 web dashboard on the pinned k6", function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "olt-k6-dashboard-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("K6_WEB_DASHBOARD_EXPORT writes one HTML report that Chromium shows without any request", async () => {
    const script = join(tmp, "idle.js");
    writeFileSync(
      script,
      'import { sleep } from "k6";\nexport const options = { vus: 1, duration: "3s" };\nexport default function () { sleep(0.5); }\n',
    );
    const r = await runK6(script, {
      cwd: tmp,
      env: {
        K6_WEB_DASHBOARD: "true",
        K6_WEB_DASHBOARD_HOST: "127.0.0.1",
        K6_WEB_DASHBOARD_PORT: String(await freePort()),
        K6_WEB_DASHBOARD_PERIOD: "1s",
        K6_WEB_DASHBOARD_EXPORT: "dashboard.html",
      },
    });
    assert.equal(r.code, 0, `${k6UnderTest().path}: ${r.stderr}`);
    const view = await viewInChromium(join(tmp, "dashboard.html"));
    assert.deepEqual(view.requests, [], "the export loads nothing");
    assert.deepEqual(view.errors, []);
    assert.match(view.text, /Report:\s+\d{4}-\d\d-\d\d/);
    assert.match(view.text, /\niterations\t\d+\t/);
  });
});
