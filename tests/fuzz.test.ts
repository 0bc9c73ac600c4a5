// The bounded fuzz run of CI; `npm run fuzz -- --count N` runs the long one (tests/fuzz.ts).
import * as assert from "node:assert/strict";
import { fuzzCase, fuzzInput, seedCatalogs } from "./fuzz";
import { FRAGMENTS } from "./fuzzer";

describe("fuzzing the catalog engine", () => {
  it("resolves or rejects 3,000 seeded mutations with its own one-line errors: no crash, no hang", function () {
    this.timeout(300_000);
    const seeds = seedCatalogs();
    const outcomes = { resolved: 0, rejected: 0 };
    for (let index = 0; index < 3000; index++) {
      const started = Date.now();
      const input = fuzzInput(20261201, index, seeds);
      outcomes[fuzzCase(input, `fuzz-${index}.pbtxt`)]++;
      assert.ok(Date.now() - started < 5000, `case ${index} took ${Date.now() - started} ms`);
    }
    assert.ok(outcomes.resolved > 100 && outcomes.rejected > 1000, `a useful mix: ${JSON.stringify(outcomes)}`);
  });

  it("mutates with JavaScript-prototype names and huge tokens", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])
      assert.ok(FRAGMENTS.includes(name), name);
    const seeds = seedCatalogs();
    const sizes = Array.from({ length: 400 }, (_, index) => fuzzInput(20261201, index, seeds).length);
    assert.ok(
      sizes.some((size) => size > 100_000),
      "some inputs carry a token of 100,000+ characters",
    );
  });
});
