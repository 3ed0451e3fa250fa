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

import { ORG, SeedModel, stableHex } from './data';

/**
 * Where a config repo lives and which registry its model is in: the GitHub
 * seed's repos use GitHub Actions and MLflow; the GitLab seed's use GitLab
 * CI/CD and the Kubeflow Model Registry.
 */
export type ConfigRepoFlavour = {
  host: 'github' | 'gitlab';
  registry: { name: string; type: 'mlflow' | 'kubeflow' };
  /** CODEOWNERS owners: the model's team and the ML platform team */
  owners: { team: string; platform: string };
};

export function githubFlavour(model: SeedModel): ConfigRepoFlavour {
  return {
    host: 'github',
    registry: { name: 'mlflow-default', type: 'mlflow' },
    owners: { team: `@${ORG}/${model.team}`, platform: `@${ORG}/ml-platform` },
  };
}

/** The files of a config repo (DESIGN.md "The config repo"), by path. */
export function configRepoFiles(
  model: SeedModel,
  version: string,
  flavour: ConfigRepoFlavour = githubFlavour(model),
): Record<string, string> {
  if (flavour.host === 'gitlab' || flavour.registry.type === 'kubeflow') {
    return gitlabKubeflowFiles(model, version, flavour);
  }
  const m = model.name;
  return {
    'deploy/model.yaml': modelYaml(model, version),
    'deploy/chart/Chart.yaml': `apiVersion: v2
name: ${m}
description: Serving objects of ${m}, rendered from deploy/model.yaml.
type: application
version: 0.1.0
`,
    'deploy/chart/values.yaml': `# Defaults; the deployment passes ../model.yaml as a values file.
model_name: ${m}
model_version: ""
registry: mlflow-default
serving:
  runtime: kserve
  replicas: 1
storage:
  bucket: s3://acme-mlflow-artifacts
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
  annotations:
    serving.kserve.io/deploymentMode: RawDeployment
spec:
  predictor:
    minReplicas: {{ .Values.serving.replicas }}
    maxReplicas: {{ .Values.serving.replicas }}
    model:
      modelFormat:
        name: mlflow
      protocolVersion: v2
      storageUri: "models:/{{ .Values.model_name }}/{{ .Values.model_version }}"
      env:
        - name: MLFLOW_TRACKING_TOKEN
          valueFrom:
            secretKeyRef:
              name: mlflow-credentials
              key: token
`,
    'secrets/mlflow-credentials.sealed.yaml': `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: mlflow-credentials
  namespace: ml-serving
spec:
  encryptedData:
    token: ${sealedValue(`${m}/token`)}
  template:
    metadata:
      name: mlflow-credentials
      namespace: ml-serving
    type: Opaque
`,
    '.github/workflows/validate.yaml': `name: validate
on:
  pull_request:
    branches: [dev, staging, production]
    types: [opened, synchronize, reopened, labeled, unlabeled]
jobs:
  validate:
    name: ml-gitops/validate
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npx --yes @ml-gitops/cli validate --base "origin/\${{ github.base_ref }}" --format github
        env:
          ML_GITOPS_REGISTRY_URL: \${{ vars.ML_GITOPS_REGISTRY_URL }}
          ML_GITOPS_REGISTRY_TOKEN: \${{ secrets.ML_GITOPS_REGISTRY_TOKEN }}
          # MLflow's basic-auth app: a user and password instead of a token
          ML_GITOPS_REGISTRY_USERNAME: \${{ vars.ML_GITOPS_REGISTRY_USERNAME }}
          ML_GITOPS_REGISTRY_PASSWORD: \${{ secrets.ML_GITOPS_REGISTRY_PASSWORD }}
`,
    CODEOWNERS: `# Changes to what serves need the owning team and the ML platform team.
*                   @${ORG}/${model.team}
deploy/model.yaml   @${ORG}/${model.team} @${ORG}/ml-platform
secrets/            @${ORG}/ml-platform
`,
    'README.md': `# ${m} config repo

Branches \`dev\`, \`staging\` and \`production\` declare which version of
\`${m}\` serves in each environment (\`deploy/model.yaml\`). Change them through
pull requests only; ${
      model.operator === 'argocd' ? 'Argo CD' : 'Flux'
    } applies what is merged.
`,
  };
}

export function modelYaml(
  model: SeedModel,
  version: string,
  registry = 'mlflow-default',
  change = 'pull request',
): string {
  return `# Deployment manifest of ${model.name}: the one file a deployment changes.
# Checked on every ${change} by \`ml-gitops validate\`.
model_name: ${model.name}
model_version: "${version}"            # string; the registry's version id
registry: ${registry}
serving: { runtime: kserve, replicas: ${model.replicas} }
gates:
  metrics:                     # checked against the registry run's metrics
    auc: { min: ${model.gates.auc.min} }
    latency_p95_ms: { max: ${model.gates.latency_p95_ms.max} }
`;
}

export function setModelVersion(yamlText: string, version: string): string {
  return yamlText.replace(
    /^model_version:\s*"?[^"\s#]*"?/m,
    `model_version: "${version}"`,
  );
}

function sealedValue(seed: string): string {
  // looks like a kubeseal ciphertext; it is random-looking bytes, not a secret
  return `AgB${Buffer.from(stableHex(seed, 256), 'hex').toString('base64')}`;
}

/**
 * A config repo on GitLab whose model is in a Kubeflow Model Registry: the
 * check is a GitLab CI/CD job on merge request pipelines
 * (docs.gitlab.com/ci/pipelines/merge_request_pipelines: `rules: - if:
 * $CI_PIPELINE_SOURCE == "merge_request_event"`), code owners are GitLab
 * users and groups (docs.gitlab.com/user/project/codeowners/reference), and
 * KServe loads the version's model artifact from its storage URI.
 */
function gitlabKubeflowFiles(
  model: SeedModel,
  version: string,
  flavour: ConfigRepoFlavour,
): Record<string, string> {
  const m = model.name;
  const { team, platform } = flavour.owners;
  return {
    'deploy/model.yaml': modelYaml(
      model,
      version,
      flavour.registry.name,
      'merge request',
    ),
    'deploy/chart/Chart.yaml': `apiVersion: v2
name: ${m}
description: Serving objects of ${m}, rendered from deploy/model.yaml.
type: application
version: 0.1.0
`,
    'deploy/chart/values.yaml': `# Defaults; the deployment passes ../model.yaml as a values file.
model_name: ${m}
model_version: ""
registry: ${flavour.registry.name}
serving:
  runtime: kserve
  replicas: 1
storage:
  bucket: s3://models
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
  annotations:
    serving.kserve.io/deploymentMode: RawDeployment
spec:
  predictor:
    minReplicas: {{ .Values.serving.replicas }}
    maxReplicas: {{ .Values.serving.replicas }}
    model:
      modelFormat:
        name: sklearn
      storageUri: "{{ .Values.storage.bucket }}/{{ .Values.model_name }}/{{ .Values.model_version }}"
      env:
        - name: AWS_ACCESS_KEY_ID
          valueFrom:
            secretKeyRef:
              name: s3-credentials
              key: access-key-id
        - name: AWS_SECRET_ACCESS_KEY
          valueFrom:
            secretKeyRef:
              name: s3-credentials
              key: secret-access-key
`,
    'secrets/s3-credentials.sealed.yaml': `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: s3-credentials
  namespace: ml-serving
spec:
  encryptedData:
    access-key-id: ${sealedValue(`${m}/access-key-id`)}
    secret-access-key: ${sealedValue(`${m}/secret-access-key`)}
  template:
    metadata:
      name: s3-credentials
      namespace: ml-serving
    type: Opaque
`,
    '.gitlab-ci.yml': `# The merge request check: ml-gitops validate on merge request pipelines.
ml-gitops/validate:
  image: node:22
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: "0"
  script:
    - git fetch --quiet origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - npx --yes @ml-gitops/cli validate --base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
`,
    CODEOWNERS: `# Changes to what serves need the owning team and the ML platform team.
*                   ${team}
deploy/model.yaml   ${team} ${platform}
secrets/            ${platform}
`,
    'README.md': `# ${m} config repo

Branches \`dev\`, \`staging\` and \`production\` declare which version of
\`${m}\` serves in each environment (\`deploy/model.yaml\`). Change them through
merge requests only; ${
      model.operator === 'argocd' ? 'Argo CD' : 'Flux'
    } applies what is merged.
`,
  };
}
