#!/usr/bin/env node
// A client-go exec credential plugin (lib/gcp/gke.ts): prints an ExecCredential holding a Google
// access token of this machine's Application Default Credentials, and when it expires, so that the
// Kubernetes provider and the collector ask again before it does. Nothing is written anywhere.
const { GoogleAuth } = require("google-auth-library");

/** As lib/gcp/credentials.ts: GOOGLE_CREDENTIALS (Pulumi Deployments' OIDC exchange) first, else ADC. */
function credentialOptions() {
  const given = (process.env.GOOGLE_CREDENTIALS || "").trim();
  if (!given) return {};
  return given.startsWith("{") ? { credentials: JSON.parse(given) } : { keyFilename: given };
}

async function main() {
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"], ...credentialOptions() });
  const client = await auth.getClient();
  const { token } = await client.getAccessToken();
  if (!token) throw new Error("no access token from the Application Default Credentials");
  const expiry = client.credentials?.expiry_date;
  const status = { token, ...(expiry ? { expirationTimestamp: new Date(expiry).toISOString() } : {}) };
  process.stdout.write(
    `${JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`gke-token: ${error?.message ? error.message : error}\n`);
  process.exit(1);
});
