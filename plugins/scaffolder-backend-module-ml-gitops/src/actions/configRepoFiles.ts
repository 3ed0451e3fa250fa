/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import yaml from 'yaml';
import { argoApplication, argoApplicationPath } from './configRepoArgoCd';
import {
  FLUX_HELM_RELEASE_PATH,
  fluxHelmReleaseFile,
  fluxObjects,
  fluxObjectsPath,
} from './configRepoFlux';
import { ConfigRepoSpec, FluxSettings } from './configRepoSpec';

// The files of a new config repo: manifest, chart, validate workflow, CODEOWNERS, README, catalog entity and operator objects.

/** Where the model's catalog entity lives in the repo, when it has one. */
export const CATALOG_INFO_PATH = 'catalog-info.yaml';

function catalogInfo(
  spec: ConfigRepoSpec,
  entity: NonNullable<ConfigRepoSpec['entity']>,
): string {
  return `# The model's catalog entity; ml-gitops reads its annotations.\n${yaml.stringify(
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: spec.model,
        description:
          entity.description ??
          `ML model ${spec.model}, deployed through this config repo.`,
        tags: ['ml-model', spec.runtime],
        annotations: {
          'ml-gitops/model': spec.model,
          'ml-gitops/config-repo': spec.repoUrl,
          ...(spec.registry ? { 'ml-gitops/registry': spec.registry } : {}),
          ...(entity.autoRollback ? { 'ml-gitops/auto-rollback': 'true' } : {}),
          'backstage.io/kubernetes-id': spec.model,
        },
      },
      spec: {
        type: 'ml-model',
        lifecycle: 'experimental',
        owner: entity.owner,
        ...(entity.system ? { system: entity.system } : {}),
      },
    },
  )}`;
}

/** The name of the required status check the validate workflow reports. */
export const VALIDATE_CHECK = 'ml-gitops/validate';

/**
 * The CLI the validate workflow runs, pinned to the release of these
 * actions: a pull request cannot pick another version, and an update of the
 * CLI reaches a config repo only through a reviewed change of its workflow.
 */
export const CLI_PACKAGE = '@ml-gitops/cli@0.1.0';

function modelYaml(spec: ConfigRepoSpec): string {
  const gates = Object.entries(spec.gates);
  const lines = [
    `# Deployment manifest of ${spec.model}: the one file a deployment changes.`,
    '# Change it through pull requests only; `ml-gitops validate` checks them.',
    `model_name: ${spec.model}`,
    `model_version: ${JSON.stringify(
      spec.version,
    )}            # string; the registry's version id`,
    '# where the registry keeps model_version; changed together with it',
    `storage_uri: ${JSON.stringify(spec.storageUri)}`,
    ...(spec.registry ? [`registry: ${spec.registry}`] : []),
    `serving: { runtime: ${spec.runtime}, replicas: ${spec.replicas} }`,
  ];
  if (gates.length > 0) {
    lines.push(
      'gates:',
      "  metrics:                     # checked against the registry run's metrics",
      ...gates.map(([metric, gate]) => {
        const bounds = [
          gate.min !== undefined ? `min: ${gate.min}` : undefined,
          gate.max !== undefined ? `max: ${gate.max}` : undefined,
        ]
          .filter(Boolean)
          .join(', ');
        return `    ${JSON.stringify(metric)}: { ${bounds} }`;
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The registry's URL (and type) as the check's environment, written when the
 * repo is created: a top-level `env:` of a GitHub workflow or `variables:` of
 * a GitLab pipeline. Empty when the spec names no registry URL.
 */
function registryVariables(
  spec: ConfigRepoSpec,
  key: 'env' | 'variables',
  changeRequest: 'pull request' | 'merge request',
): string {
  if (!spec.registryUrl) return '';
  const type = spec.registryType
    ? `  ML_GITOPS_REGISTRY_TYPE: ${JSON.stringify(spec.registryType)}\n`
    : '';
  return `# the registry, written when the repo was created (change it by ${changeRequest})
${key}:
  ML_GITOPS_REGISTRY_URL: ${JSON.stringify(spec.registryUrl)}
${type}`;
}

/**
 * The pull request check. It needs no repository settings: the registry's
 * URL is written here when the repo is created, and the CLI is pinned. Only
 * credentials come from the repository's (or organisation's) secrets, and
 * an unset secret is empty, which the CLI takes as not given:
 * ML_GITOPS_REGISTRY_TOKEN for a bearer token, or the variable
 * ML_GITOPS_REGISTRY_USERNAME and the secret ML_GITOPS_REGISTRY_PASSWORD for
 * MLflow's basic-auth app.
 */
function validateWorkflow(spec: ConfigRepoSpec): string {
  const registryEnv = registryVariables(spec, 'env', 'pull request');
  return `name: validate
on:
  pull_request:
    branches: [${spec.environments.join(', ')}]
    # labelled and unlabelled too: the ml-gitops/rollback label is what lets
    # a rollback through a frozen environment, so the check runs again
    types: [opened, synchronize, reopened, labeled, unlabeled]
# read the code, and the reviews of the pull request: a change to a gate, the
# workflows or CODEOWNERS needs a code owner's approval, which validate reads
permissions:
  contents: read
  pull-requests: read
${registryEnv}jobs:
  validate:
    name: ${VALIDATE_CHECK}
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npx --yes ${CLI_PACKAGE} validate --base "origin/\${{ github.base_ref }}" --format github
        env:
          GITHUB_TOKEN: \${{ github.token }}
          # credentials, if the registry needs any (unset secrets are empty)
          ML_GITOPS_REGISTRY_TOKEN: \${{ secrets.ML_GITOPS_REGISTRY_TOKEN }}
          # MLflow's basic-auth app: a user and password instead of a token
          ML_GITOPS_REGISTRY_USERNAME: \${{ vars.ML_GITOPS_REGISTRY_USERNAME }}
          ML_GITOPS_REGISTRY_PASSWORD: \${{ secrets.ML_GITOPS_REGISTRY_PASSWORD }}
`;
}

/**
 * The merge request check on GitLab: a job on merge request pipelines,
 * which the protected branches' "pipelines must succeed" requires
 * (docs.gitlab.com/ci/pipelines/merge_request_pipelines). The registry's
 * URL is written here; its token, if it needs one, is the project's masked
 * CI/CD variable ML_GITOPS_REGISTRY_TOKEN, which the job inherits.
 */
function validatePipeline(spec: ConfigRepoSpec): string {
  const registry = registryVariables(spec, 'variables', 'merge request');
  return `# The merge request check: ml-gitops validate on merge request pipelines.
${registry}${VALIDATE_CHECK}:
  image: node:22
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: "0"
  script:
    - git fetch --quiet origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - npx --yes ${CLI_PACKAGE} validate --base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
`;
}

const ARGOCD_README = `\`argocd/<environment>.yaml\` are the Argo CD Applications, one per
environment. \`ml-gitops:config-repo:create\` registered them with Argo CD
when it made this repo (unless told not to); \`kubectl apply -f argocd/\` in
Argo CD's namespace registers them again.
Each applies the chart under \`deploy/chart\` and every \`secrets/*.sealed.yaml\`
of its branch.`;

function fluxReadme(flux: FluxSettings): string {
  return `\`flux/<environment>.yaml\` are the Flux objects of each environment: a
GitRepository of its branch, the Kustomization \`<model>-<environment>\` that
applies \`deploy/flux/helmrelease.yaml\` (a HelmRelease of the chart under
\`deploy/chart\` with \`deploy/model.yaml\` as values), and the Kustomization
\`<model>-<environment>-secrets\` that applies \`secrets/\`.
\`ml-gitops:config-repo:create\` registered them in the namespace
\`${flux.namespace}\` when it made this repo (unless told not to);
\`kubectl apply --server-side -f flux/<environment>.yaml\` registers them again.
Every file under \`secrets/\` is applied, so keep only SealedSecrets there.`;
}

/**
 * The files of a new config repo (DESIGN.md "The config repo"), by path. The
 * same files go to every environment branch.
 */
export function configRepoFiles(spec: ConfigRepoSpec): Record<string, string> {
  const m = spec.model;
  const owners = spec.owners.join(' ');
  const files: Record<string, string> = {
    'deploy/model.yaml': modelYaml(spec),
    'deploy/chart/Chart.yaml': `apiVersion: v2
name: ${m}
description: Serving objects of ${m}, rendered from deploy/model.yaml.
type: application
version: 0.1.0
`,
    'deploy/chart/values.yaml': `# Defaults; Argo CD or Flux passes deploy/model.yaml as a values file.
model_name: ${m}
model_version: ""
storage_uri: ""
environment: ""
# KServe's model format, from the flavor of the MLflow model (MLmodel):
# sklearn, xgboost, lightgbm, onnx, tensorflow, pytorch, or mlflow for
# any python_function model. Change it here, by pull request, if a new
# version is logged with another flavor.
model_format: ${JSON.stringify(spec.modelFormat)}
serving:
  runtime: ${spec.runtime}
  replicas: 1
`,
    'deploy/chart/templates/inferenceservice.yaml': `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {{ .Values.model_name }}
  labels:
    app.kubernetes.io/name: {{ .Values.model_name }}
    backstage.io/kubernetes-id: {{ .Values.model_name }}
    ml-gitops/model: {{ .Values.model_name }}
    ml-gitops/model-version: {{ .Values.model_version | quote }}
    ml-gitops/environment: {{ .Values.environment | quote }}
spec:
  predictor:
    minReplicas: {{ .Values.serving.replicas }}
    maxReplicas: {{ .Values.serving.replicas }}
    model:
      modelFormat:
        name: {{ .Values.model_format | quote }}
      storageUri: {{ required "deploy/model.yaml needs storage_uri: where the registry keeps model_version" .Values.storage_uri | quote }}
`,
    'secrets/.gitkeep': '',
    ...(spec.gitHost === 'gitlab'
      ? { '.gitlab-ci.yml': validatePipeline(spec) }
      : { '.github/workflows/validate.yaml': validateWorkflow(spec) }),
    CODEOWNERS: `# Every change to what serves needs a review by the model's owners.
*                   ${owners}
`,
    'README.md': `# ${m} config repo

Branches ${spec.environments
      .map(e => `\`${e}\``)
      .join(
        ', ',
      )} (in promotion order) declare which version of \`${m}\` serves in
each environment: \`deploy/model.yaml\`. Change them through pull requests only
(Backstage's ml-gitops templates open them); ${
      spec.flux ? 'Flux' : 'Argo CD'
    } applies what is merged.
The branches are never merged into each other: a promotion is a pull request
into the next environment's branch that sets \`model_version\` to the version
the previous one serves, so each branch keeps its own secrets and settings.

${spec.flux ? fluxReadme(spec.flux) : ARGOCD_README}
Secrets are committed only as SealedSecrets under \`secrets/\`
(the seal-a-secret template opens those pull requests); the cluster's Sealed
Secrets controller turns them into Secrets.
`,
  };
  if (spec.flux) {
    files[FLUX_HELM_RELEASE_PATH] = fluxHelmReleaseFile(spec, spec.flux);
    for (const environment of spec.environments) {
      files[fluxObjectsPath(environment)] = fluxObjects(
        spec,
        spec.flux,
        environment,
      )
        .map(o => yaml.stringify(o))
        .join('---\n');
    }
  } else {
    for (const environment of spec.environments) {
      files[argoApplicationPath(environment)] = yaml.stringify(
        argoApplication(spec, environment),
      );
    }
  }
  if (spec.entity) {
    files[CATALOG_INFO_PATH] = catalogInfo(spec, spec.entity);
  }
  return files;
}
