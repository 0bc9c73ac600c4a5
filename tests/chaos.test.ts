// The randomized interruption test (tests/chaos.ts) at a fixed seed: 100 runs, each interrupted
// at random points, resumed from changing machines, torn down. `npm run -s chaos -- --runs N
// --seed S` runs more.
import * as assert from "node:assert/strict";
import { chaos } from "./chaos";

describe("interrupted runs (tests/chaos.ts)", function () {
  this.timeout(30 * 60_000);

  it(
    "ends 100 of 100 seeded interrupted runs with each benchmark collected once or recorded lost, " +
      "and nothing left",
    async () => {
      const failures: string[] = [];
      const summary = await chaos({ runs: 100, seed: 18, log: (line) => failures.push(line) });
      assert.deepEqual(failures, []);
      assert.equal(summary.runs, 100);
      // The seed exercises what the test is about: kills, cancels, new machines, edited catalogs.
      assert.ok(
        summary.kills > 100 &&
          summary.cancels > 20 &&
          summary.machineChanges > 100 &&
          summary.catalogChanges > 50 &&
          summary.lost > 0,
        JSON.stringify(summary),
      );
    },
  );
});
