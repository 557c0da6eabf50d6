// Validate custom resources against validators generated from the upstream CRD
// openAPIV3Schemas (kubernetes-models packages from npm). Input on stdin: a JSON array of
// objects. Output: one JSON line per problem; exit 1 when there is any, 2 for an unknown kind.
import { readFileSync } from "node:fs";

const PACKAGES = {
  "argoproj.io": "@kubernetes-models/argo-rollouts",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
};

const objects = JSON.parse(readFileSync(0, "utf8"));
let problems = 0;
let unknown = 0;
for (const obj of objects) {
  const [group, version] = obj.apiVersion.split("/");
  const pkg = PACKAGES[group];
  const where = `${obj.kind}/${obj.metadata?.name}`;
  if (!pkg) {
    console.log(JSON.stringify({ object: where, error: `no schema package for ${group}` }));
    unknown += 1;
    continue;
  }
  let Model;
  try {
    Model = (await import(`${pkg}/${group}/${version}/${obj.kind}`))[obj.kind];
  } catch {
    console.log(JSON.stringify({ object: where, error: `unknown kind ${obj.apiVersion} ${obj.kind}` }));
    unknown += 1;
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ message: String(e) }]) {
      console.log(JSON.stringify({ object: where, path: err.instancePath, error: err.message }));
      problems += 1;
    }
  }
}
process.exit(unknown ? 2 : problems ? 1 : 0);
