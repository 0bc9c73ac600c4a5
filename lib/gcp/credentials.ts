// Google credentials for the clients this tool runs itself (the bucket upload): the machine's
// Application Default Credentials, or GOOGLE_CREDENTIALS, where Pulumi Deployments publishes the
// credentials its OIDC exchange fetched (a credential configuration, contents or path; the GCP
// provider reads the same variable). scripts/gke-token.cjs applies the same rule.

export interface GoogleAuthOptions {
  credentials?: Record<string, unknown>;
  keyFilename?: string;
}

export function googleAuthOptions(env: NodeJS.ProcessEnv = process.env): GoogleAuthOptions {
  const given = env.GOOGLE_CREDENTIALS?.trim();
  if (!given) return {};
  return given.startsWith("{") ? { credentials: JSON.parse(given) as Record<string, unknown> } : { keyFilename: given };
}
