// One Kubernetes watch, until an event settles it. Callers loop: read the current state, and
// if it is not final, watch from its resourceVersion.
import { type KubeConfig, Watch } from "@kubernetes/client-node";

export interface WatchOnceOptions {
  /** Give up after this long (resolves undefined). */
  timeoutMs?: number;
  /** Stop when this aborts (resolves undefined). */
  signal?: AbortSignal;
}

/**
 * Watches `path` until `settle` returns a value (or throws, which rejects), the server ends the
 * watch, the timeout passes or the signal aborts: then undefined. A watch that the server ends
 * at once is followed by a one-second pause, so that a caller watching again does not hammer it.
 */
export async function watchOnce<T, O = unknown>(
  kubeConfig: KubeConfig,
  path: string,
  query: Record<string, string | boolean | undefined>,
  settle: (phase: string, object: O) => T | undefined,
  options: WatchOnceOptions = {},
): Promise<T | undefined> {
  const started = Date.now();
  const result = await new Promise<T | undefined>((resolve, reject) => {
    let controller: AbortController | undefined;
    let done = false;
    const finish = (value: T | undefined, error?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      controller?.abort();
      if (error !== undefined) reject(error);
      else resolve(value);
    };
    const abort = () => finish(undefined);
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(abort, options.timeoutMs);
    options.signal?.addEventListener("abort", abort);
    if (options.signal?.aborted) return abort();
    new Watch(kubeConfig)
      .watch(
        path,
        query,
        (phase, object) => {
          if (phase === "BOOKMARK") return;
          try {
            const value = settle(phase, object);
            if (value !== undefined) finish(value);
          } catch (error) {
            finish(undefined, error);
          }
        },
        abort,
      )
      .then((c) => {
        controller = c;
        if (done) c.abort();
      }, abort);
  });
  if (result === undefined && !options.signal?.aborted && Date.now() - started < 1000)
    await new Promise((r) => setTimeout(r, 1000));
  return result;
}
