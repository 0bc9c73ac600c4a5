// Pulumi's mocks (pulumi.runtime.setMocks) with what their MockMonitor lacks: resource hooks.
// Without registerResourceHook, registering a hook rejects, and the program's resources wait on it.
import * as pulumi from "@pulumi/pulumi";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");

/** Sets Pulumi's mocks and accepts every hook registration; `onHook` sees each hook's name. */
export async function setMocksWithHooks(
  mocks: pulumi.runtime.Mocks,
  project: string,
  stack: string,
  preview: boolean,
  onHook: (name: string) => void = () => undefined,
): Promise<void> {
  await pulumi.runtime.setMocks(mocks, project, stack, preview, "organization");
  runtimeSettings.getMonitor().registerResourceHook = (
    request: { getName(): string },
    callback: (error: null, response: object) => void,
  ) => {
    onHook(request.getName());
    callback(null, {});
  };
}
