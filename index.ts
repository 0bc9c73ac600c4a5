// inference-bench: `pulumi up --stack <run id>` runs the benchmarks of the configured catalogs.
// Everything happens in components/program.ts; the stack's outputs are what it returns.
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "./components/program";
import { readSettings } from "./components/settings";

export = async () => runProgram(readSettings(new pulumi.Config(), pulumi.getStack()));
