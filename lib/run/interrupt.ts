// Ctrl-C reaching the Pulumi program. On the first Ctrl-C of `pulumi up` the engine cancels: it
// starts no new step and sends the language host the Cancel RPC, which interrupts the program
// (SIGINT) and kills it 5 seconds later (pulumi/pulumi@v3.259.0 pkg/engine/deployment.go run →
// deployment_executor.go Execute → host.SignalCancellation; sdk/nodejs/cmd/pulumi-language-nodejs
// main.go: cmd.Cancel sends os.Interrupt, cmd.WaitDelay = 5s). Hooks run with a context Ctrl-C
// does not cancel (deployment.go RunHooks: d.Ctx().Base()), so a hook that waits for results must
// stop on this signal itself, and return before the kill.

/** Aborted on the first SIGINT or SIGTERM this process receives from now on. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return controller.signal;
}
