// inference-bench-cluster: `pulumi up --stack <cluster>` installs the shared infrastructure
// runs need, once per cluster. Everything happens in components/cluster.ts.
import * as pulumi from "@pulumi/pulumi";
import { readClusterSettings, runClusterProgram } from "../components/cluster";

export = async () => runClusterProgram(readClusterSettings(new pulumi.Config(), pulumi.getStack()));
