// The part of parse-prometheus-text-format (no bundled types) that attribution uses.
declare module "parse-prometheus-text-format" {
  interface Family {
    name: string;
    help: string;
    type: string;
    metrics: Array<{ value: string; labels?: Record<string, string> }>;
  }
  export default function parse(text: string): Family[];
}
