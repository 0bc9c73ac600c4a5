// Pulumi's log functions print to the console when no engine is attached, as under mocks
// (@pulumi/pulumi log/index.js: `console.warn("warning: [runtime] ...")`). A real `pulumi up`
// shows them as diagnostics of the update; in the test run they are kept here instead of
// being printed, so that the output shows only the tests. Loaded first by .mocharc.json.
export const pulumiLog: string[] = [];

const RUNTIME_LINE = /^(debug|info|warning|error): \[runtime\] /;

for (const method of ["log", "info", "warn", "error"] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === "string" && RUNTIME_LINE.test(args[0])) pulumiLog.push(args[0]);
    else original(...args);
  };
}
