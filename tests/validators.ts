// Validates generated objects: custom resources against the real upstream CRDs in
// ../shared/schemas/crds (fields a CRD does not declare are errors, since the API server
// would silently drop them), core kinds with kubernetes-models.

import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import YAML from "yaml";
import type { K8sObject } from "../lib/manifests/common";

type Schema = Record<string, unknown>;

/** Adds additionalProperties: false wherever a schema lists properties and allows no unknown fields. */
export function closeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeSchema);
  if (!schema || typeof schema !== "object") return schema;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) copy[key] = closeSchema(value);
  if (copy.properties && copy.additionalProperties === undefined && !copy["x-kubernetes-preserve-unknown-fields"]) {
    copy.additionalProperties = false;
  }
  return copy;
}

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? yamlFiles(full) : entry.name.endsWith(".yaml") ? [full] : [];
  });
}

export class ObjectValidator {
  private readonly crds = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

  constructor(crdDir: string) {
    for (const file of yamlFiles(crdDir)) {
      const crd = YAML.parse(fs.readFileSync(file, "utf8"));
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const version of crd.spec.versions) {
        const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
        this.crds.set(key, this.ajv.compile(closeSchema(version.schema.openAPIV3Schema) as Schema));
      }
    }
  }

  /** Whether a CRD for `object`'s kind and version was loaded. */
  hasCrd(object: K8sObject): boolean {
    return this.crds.has(`${object.apiVersion}/${object.kind}`);
  }

  /** The problems with `object`, empty when it is valid. */
  async problems(object: K8sObject): Promise<string[]> {
    const key = `${object.apiVersion}/${object.kind}`;
    const where = `${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    const crd = this.crds.get(key);
    if (crd) {
      if (crd(object)) return [];
      return (crd.errors ?? []).map(
        (e) =>
          `${where}: ${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`,
      );
    }
    const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
    const modulePath = group
      ? `kubernetes-models/${group}/${version}/${object.kind}`
      : `kubernetes-models/${version}/${object.kind}`;
    let Model: new (data: unknown) => { validate(): void };
    try {
      Model = (await import(modulePath))[object.kind];
    } catch {
      return [`${where}: no CRD and no core model for ${key}`];
    }
    try {
      new Model(object).validate();
      return [];
    } catch (error) {
      return [`${where}: ${(error as Error).message}`];
    }
  }
}
