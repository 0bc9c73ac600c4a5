// The Kubernetes client configuration the collector uses: the same cluster Pulumi deploys to.

import * as fs from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * `kubeconfig` may be a path or the file's contents (as the Kubernetes provider's
 * `kubernetes:kubeconfig` config accepts); without it, $KUBECONFIG or ~/.kube/config.
 */
export function loadKubeConfig(kubeconfig?: string, context?: string): KubeConfig {
  const config = new KubeConfig();
  if (!kubeconfig) config.loadFromDefault();
  else if (fs.existsSync(kubeconfig)) config.loadFromFile(kubeconfig);
  else config.loadFromString(kubeconfig);
  if (context) config.setCurrentContext(context);
  return config;
}
