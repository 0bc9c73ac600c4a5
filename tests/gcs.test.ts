// Uploading a benchmark's folder to a bucket that fails the way GCS and its client do
// (tests/fake-gcs.ts): transient faults are retried by the client only because every write
// carries a generation precondition; nothing is sent twice that need not be; readers never see
// new data under old metadata.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { UPLOAD_CONCURRENCY, uploadBenchmark } from "../lib/collect/gcs";
import type { ResultMetadata } from "../lib/results/record";
import { benchmarkPaths } from "../lib/snapshot/layout";
import { FakeBucket } from "./fake-gcs";
import { tempDir } from "./helpers";

const RUN = "gcs00001";
const NAMESPACE = `sim-a-${RUN}`;
const PREFIX = `${RUN}/${NAMESPACE}`;

/** A collected benchmark: the snapshot, result files, metadata.json saying not uploaded. */
function collected(output: string, files: Record<string, string>, collection = 1) {
  const paths = benchmarkPaths(output, RUN, "sim-a");
  fs.rmSync(paths.dir, { recursive: true, force: true });
  fs.mkdirSync(paths.resultsJsonDir, { recursive: true });
  fs.mkdirSync(paths.manifestsDir, { recursive: true });
  fs.writeFileSync(paths.benchmarkPbtxt, 'name: "sim-a"\n');
  fs.writeFileSync(paths.manifest("namespace"), "kind: Namespace\n");
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(paths.resultsJsonDir, name), text);
  fs.writeFileSync(
    paths.metadata,
    JSON.stringify({
      benchmark: "sim-a",
      run_id: RUN,
      namespace: NAMESPACE,
      job_state: "succeeded",
      images: [],
      start_time: `collection ${collection}`,
      gcs: { bucket: "b", prefix: PREFIX, uploaded: false, objects: [] },
    }),
  );
  return paths;
}
const metadataOf = (paths: ReturnType<typeof benchmarkPaths>) =>
  JSON.parse(fs.readFileSync(paths.metadata, "utf8")) as ResultMetadata & { start_time: string };

/** What the bucket should hold for `paths`: every file under its folder, by object name. */
function expectedObjects(paths: ReturnType<typeof benchmarkPaths>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(`${PREFIX}/${path.relative(paths.dir, full)}`, fs.readFileSync(full, "utf8"));
    }
  };
  walk(paths.dir);
  return out;
}

describe("GCS upload against a bucket that fails like GCS", () => {
  it("completes through transient faults, sending each object once more at most", async () => {
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`rate-${i}.json`, `{"rate": ${i}}`]));
    const paths = collected(tempDir(), files);
    const bucket = new FakeBucket("b");
    // Every object's first send fails: half before the write, half after it (the answer lost).
    const names = [...expectedObjects(paths).keys()];
    for (const [i, name] of names.entries()) (i % 2 ? bucket.lostAfter : bucket.lostBefore).set(name, 1);
    const objects = await uploadBenchmark(bucket, paths);
    assert.equal(metadataOf(paths).gcs!.uploaded, true);
    assert.deepEqual(
      new Map([...bucket.objects].filter(([name]) => !name.endsWith("/metadata.json"))),
      new Map([...expectedObjects(paths)].filter(([name]) => !name.endsWith("/metadata.json"))),
    );
    assert.deepEqual(JSON.parse(bucket.objects.get(`${PREFIX}/results/metadata.json`)!), metadataOf(paths));
    assert.equal(objects.length, names.length);
    for (const name of names)
      assert.ok((bucket.sends.get(name) ?? 0) <= 2, `${name} sent ${bucket.sends.get(name)} times`);
    assert.equal(bucket.autoRetry, true, "no upload without a precondition turned the client's retries off");
  });

  it("sends only what the bucket lacks or holds with other bytes, at most UPLOAD_CONCURRENCY at once", async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`r${i}.json`, `{"i": ${i}}`]));
    const output = tempDir();
    const paths = collected(output, files);
    const bucket = new FakeBucket("b");
    bucket.failAfter = 20;
    await assert.rejects(uploadBenchmark(bucket, paths), /the next `pulumi up` retries/);
    assert.ok(
      bucket.maxInFlight > 1 && bucket.maxInFlight <= UPLOAD_CONCURRENCY,
      `at most ${UPLOAD_CONCURRENCY} at once (saw ${bucket.maxInFlight})`,
    );
    const landed = new Set(bucket.objects.keys());
    bucket.failAfter = undefined;
    bucket.sends.clear();
    await uploadBenchmark(bucket, paths);
    assert.equal(metadataOf(paths).gcs!.uploaded, true);
    for (const name of landed) assert.equal(bucket.sends.get(name), undefined, `${name} was already there`);
    // The upload was complete but not recorded locally (interrupted before): nothing is sent again.
    const text = fs.readFileSync(paths.metadata, "utf8");
    fs.chmodSync(paths.metadata, 0o644);
    fs.writeFileSync(
      paths.metadata,
      JSON.stringify({ ...JSON.parse(text), gcs: { bucket: "b", prefix: PREFIX, uploaded: false, objects: [] } }),
    );
    bucket.sends.clear();
    await uploadBenchmark(bucket, paths);
    assert.equal(bucket.sends.size, 0);
    assert.equal(fs.readFileSync(paths.metadata, "utf8"), text);
  });

  it("never uploads a collection's staging folder or a temporary file", async () => {
    const paths = collected(tempDir(), { "a.json": "{}" });
    fs.mkdirSync(`${paths.resultsDir}.staging-4242/json`, { recursive: true });
    fs.writeFileSync(`${paths.resultsDir}.staging-4242/json/half.json`, "{");
    fs.writeFileSync(`${paths.benchmarkPbtxt}.tmp-4242`, "half");
    const bucket = new FakeBucket("b");
    await uploadBenchmark(bucket, paths);
    assert.deepEqual(
      [...bucket.objects.keys()].filter((name) => /staging|\.tmp-/.test(name)),
      [],
    );
    assert.ok(bucket.objects.has(`${PREFIX}/results/json/a.json`));
  });

  it("never shows a reader new data under old metadata while a new collection replaces an old one", async () => {
    const output = tempDir();
    const bucket = new FakeBucket("b");
    const first = collected(output, { "old-rate.json": '{"v": 1}', "both.json": '{"v": 1}' }, 1);
    await uploadBenchmark(bucket, first);
    const states = new Map([[metadataOf(first).start_time, expectedObjects(first)]]);
    bucket.events.length = 0;
    const second = collected(output, { "both.json": '{"v": 2}', "new-rate.json": "{}" }, 2);
    bucket.lostAfter.set(`${PREFIX}/results/json/both.json`, 1);
    await uploadBenchmark(bucket, second);
    states.set(metadataOf(second).start_time, expectedObjects(second));
    assert.ok(bucket.events.length >= 4);
    for (const [i, event] of bucket.events.entries()) {
      const metadata = event.after.get(`${PREFIX}/results/metadata.json`);
      if (metadata === undefined) continue;
      // Whenever metadata.json is there, the data objects are exactly those of the collection it describes.
      const described = states.get(JSON.parse(metadata).start_time)!;
      const data = (objects: ReadonlyMap<string, string>) =>
        [...objects].filter(([name]) => !name.endsWith("/metadata.json")).sort();
      assert.deepEqual(data(event.after), data(described), `event ${i}: ${event.op} ${event.name}`);
    }
    assert.deepEqual([...bucket.objects.keys()].sort(), [...states.get("collection 2")!.keys()].sort());
  });
});
