// What runs the tool in CI: the GitHub workflow (no script injection) and the Pulumi Deployments
// settings (only fields @pulumi/pulumiservice declares; OIDC to GCP; a destroy that runs the program).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import YAML from "yaml";
import { deploymentSettingsArgs } from "../deployments/settings";
import { PROJECT_ROOT } from "./helpers";

/** The properties of every interface a declaration file declares, with each property's type text. */
function interfacesOf(file: string): Map<string, Map<string, string>> {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = new Map<string, Map<string, string>>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    const members = new Map<string, string>();
    for (const member of node.members)
      if (ts.isPropertySignature(member) && member.type)
        members.set(member.name.getText(source), member.type.getText(source));
    found.set(node.name.text, members);
  });
  return found;
}

/** Every field of `value` that the interface `name` (and the ones its properties name) does not declare. */
function undeclared(value: unknown, name: string, types: Map<string, Map<string, string>>, where = name): string[] {
  const members = types.get(name);
  assert.ok(members, `no interface ${name}`);
  return Object.entries(value as Record<string, unknown>).flatMap(([key, field]) => {
    const type = members.get(key);
    if (type === undefined) return [`${where}.${key}`];
    const nested = /inputs\.(\w+)/.exec(type)?.[1];
    return nested && field && typeof field === "object" && !Array.isArray(field)
      ? undeclared(field, nested, types, `${where}.${key}`)
      : [];
  });
}

describe("CI: the GitHub workflow and Pulumi Deployments", () => {
  it("passes the workflow's inputs to scripts only through env:, and secrets only to the steps that need them", () => {
    const workflow = YAML.parse(
      fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", "benchmark.yml"), "utf8"),
    );
    const steps: Array<Record<string, any>> = workflow.jobs.benchmark.steps;
    for (const step of steps) {
      // A `${{ }}` in a script is expanded into the shell text before it runs: a crafted input becomes code.
      if (step.run) assert.ok(!step.run.includes("${{"), `step ${step.name ?? step.run}: no \${{ }} inside run:`);
    }
    const secretsOutsideSteps = JSON.stringify({ env: workflow.env, jobEnv: workflow.jobs.benchmark.env ?? {} });
    assert.ok(
      !secretsOutsideSteps.includes("secrets."),
      "no secret in the workflow's or job's env, where `npm ci` would see it",
    );
    const install = steps.find((s) => s.run === "npm ci")!;
    assert.equal(install.env, undefined);
    const configure = steps.find((s) => String(s.run ?? "").includes("inference-bench:hfToken"))!;
    assert.match(
      configure.run,
      /printf '%s' "\$HF_TOKEN" \| pulumi config set --stack "\$STACK" --secret inference-bench:hfToken/,
      "the token is not on a command line",
    );
    assert.ok(!steps.some((s) => /stack select/.test(String(s.run ?? ""))), "the workflow never selects a stack");
    assert.match(steps.at(-1)!.run, /^pulumi destroy --run-program /);
    assert.equal(steps.at(-1)!.if, "always()");
  });

  it(
    "gives Pulumi Deployments settings that @pulumi/pulumiservice declares, OIDC to GCP, and a " +
      "destroy that runs the program",
    () => {
      const dir = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumiservice");
      const types = new Map([
        ...interfacesOf(path.join(dir, "types", "input.d.ts")),
        ...interfacesOf(path.join(dir, "deploymentSettings.d.ts")),
      ]);
      const gcp = {
        projectNumber: "123456789012",
        workloadPoolId: "pulumi",
        providerId: "pulumi-oidc",
        serviceAccount: "bench@p.iam.gserviceaccount.com",
      };
      const settings = deploymentSettingsArgs({
        organization: "acme",
        stack: "run-1",
        repository: "https://github.com/acme/inference-bench.git",
        branch: "refs/heads/main",
        gcp,
      });
      assert.deepEqual(undeclared(settings, "DeploymentSettingsArgs", types), []);
      // The checker itself: a field the types do not declare is caught.
      assert.deepEqual(
        undeclared(
          { ...settings, operationContext: { ...(settings.operationContext as object), oidc: { gcp: { ...gcp } } } },
          "DeploymentSettingsArgs",
          types,
        ),
        ["DeploymentSettingsArgs.operationContext.oidc.gcp.projectNumber"],
      );
      const context = settings.operationContext as Record<string, any>;
      assert.deepEqual(context.oidc, {
        gcp: {
          projectId: "123456789012",
          workloadPoolId: "pulumi",
          providerId: "pulumi-oidc",
          serviceAccount: "bench@p.iam.gserviceaccount.com",
        },
      });
      assert.equal(context.environmentVariables.PULUMI_RUN_PROGRAM, "true");
      assert.deepEqual(context.preRunCommands, ["npm ci"]);
      assert.equal(
        deploymentSettingsArgs({ organization: "acme", stack: "run-1", repository: "r", branch: "b" })
          .operationContext &&
          (
            deploymentSettingsArgs({ organization: "acme", stack: "run-1", repository: "r", branch: "b" })
              .operationContext as Record<string, unknown>
          ).oidc,
        undefined,
      );
    },
  );

  it("ends .ci/run with the README's test command, so CI runs what a user runs", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Two commands on a fresh machine"));
    const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const commands = block
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean);
    assert.equal(commands.length, 2, "the README gives two commands");
    const ci = fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "run"), "utf8");
    const lines = ci
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    assert.equal(lines.at(-1), commands[1]);
  });
});
