// Every npm script of this project starts here: on a Node.js older than 22 it stops with one line
// that says what to do, instead of crashing later inside a dependency (undici, better-sqlite3).
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  const script = process.env.npm_lifecycle_event || "<script>";
  console.error(
    `error: inference-bench needs Node.js 22 or newer, and this is ${process.version}; run ./ib ${script} [args...] instead (it installs Node.js 22 into .tools/ when needed), or source scripts/setup.sh first`,
  );
  process.exit(1);
}
