// inference-bench-cluster: `pulumi up --stack <cluster>` installs the shared infrastructure
// runs need, once per cluster. Everything happens in components/infrastructure.ts.
import * as pulumi from "@pulumi/pulumi";
import { readInfrastructureSettings, runInfrastructureProgram } from "../components/infrastructure";

export = async () => runInfrastructureProgram(readInfrastructureSettings(new pulumi.Config(), pulumi.getStack()));
