// Secrets never reach disk: everything the collector writes from a pod (the tool's log, its
// result files) is scrubbed here, after the wrapper already redacted the token in the pod. The
// collector may not know the token's value (it lives in the Pulumi stack's secret config), so
// besides the values it is given it removes whatever has the shape of one: a Hugging Face
// token, and the value after `--token`, `HF_TOKEN=` or `HUGGING_FACE_HUB_TOKEN=` (the LPG's
// xtrace prints `huggingface-cli login --token <token>`).

export const REDACTED = "[REDACTED]";

/** Hugging Face user access tokens: "hf_" and (today) 34 letters and digits; shorter ones are test stand-ins. */
const HF_TOKEN = /\bhf_[A-Za-z0-9]{12,}\b/g;
const TOKEN_ARGUMENT = /(--token[= ]|\b(?:HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_TOKEN)=)(["']?)([^\s"']+)/g;

export interface Scrubbed {
  text: string;
  /** How many secrets were removed (values already reading [REDACTED] do not count). */
  removed: number;
}

export function scrubSecrets(text: string, known: readonly string[] = []): Scrubbed {
  let removed = 0;
  let result = text;
  for (const secret of known) {
    if (secret.length < 4) continue;
    const parts = result.split(secret);
    removed += parts.length - 1;
    result = parts.join(REDACTED);
  }
  result = result.replace(HF_TOKEN, () => {
    removed++;
    return REDACTED;
  });
  result = result.replace(TOKEN_ARGUMENT, (match, prefix: string, quote: string, value: string) => {
    if (value.startsWith(REDACTED)) return match;
    removed++;
    return `${prefix}${quote}${REDACTED}`;
  });
  return { text: result, removed };
}
