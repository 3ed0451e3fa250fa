import yaml from 'yaml';

/** What a new config repo is generated from. */
export type ConfigRepoSpec = {
  model: string;
  version: string;
  registry?: string;
  /**
   * Where the registry keeps `version`, as KServe reads it (the manifest's
   * `storage_uri`, an addition to the design contract).
   */
  storageUri: string;
  /** The KServe modelFormat of the model's flavor, e.g. `sklearn`. */
  modelFormat: string;
  /**
   * The registry's URL, written into the validate workflow so the check
   * needs no repository variable; undefined without a registry.
   */
  registryUrl?: string;
  runtime: string;
  replicas: number;
  gates: Record<string, { min?: number; max?: number }>;
  environments: string[];
  owners: string[];
  /** HTTPS URL of the repo, for the Argo CD Applications. */
  repoUrl: string;
  /** Kubernetes namespace; `{environment}` is replaced per environment. */
  namespace: string;
  argocdNamespace: string;
  argocdProject: string;
  /** The cluster the Applications deploy to: its API server URL… */
  destinationServer: string;
  /** …or its name in Argo CD's cluster list (used instead of the server when set). */
  destinationName?: string;
  /**
   * When set, Flux deploys the repo instead of Argo CD: the repo holds the
   * Flux objects of each environment (flux/<environment>.yaml) and the
   * HelmRelease they apply (deploy/flux/helmrelease.yaml) instead of
   * argocd/<environment>.yaml.
   */
  flux?: FluxSettings;
  /** When set, the repo also holds the model's catalog entity (catalog-info.yaml). */
  entity?: {
    owner: string;
    system?: string;
    description?: string;
    /** Annotate `ml-gitops/auto-rollback: "true"`. */
    autoRollback?: boolean;
  };
};

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

function namespaceOf(spec: ConfigRepoSpec, environment: string): string {
  return spec.namespace.replace(/\{environment\}/g, environment);
}

/** Where the HelmRelease the model's Kustomization applies lives in the repo. */
export const FLUX_HELM_RELEASE_PATH = 'deploy/flux/helmrelease.yaml';

/** Where the SealedSecrets of an environment branch live (DESIGN.md "The config repo"). */
export const SECRETS_PATH = 'secrets';

/**
 * The Argo CD Application that deploys one environment branch
 * (`argoproj.io/v1alpha1` Application, argo-cd docs "Declarative Setup" and
 * "Multiple Sources for an Application"). It has two sources on the same
 * branch, so that what Argo CD applies includes the sealed secrets:
 *
 * - `deploy/chart`, rendered by Helm with `deploy/model.yaml` as values;
 * - `secrets/`, a plain directory source limited to `*.sealed.yaml`, so the
 *   SealedSecrets reach the cluster and the Sealed Secrets controller
 *   unseals them there.
 *
 * A Helm chart cannot read files outside its own folder (Helm's `.Files`),
 * so the secrets cannot come through the chart while they stay under
 * `secrets/`; multiple sources exist since Argo CD 2.6, the oldest release
 * the backend reads.
 */
export function argoApplication(
  spec: ConfigRepoSpec,
  environment: string,
): ArgoApplication {
  const repoURL = `${spec.repoUrl}.git`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `${spec.model}-${environment}`,
      namespace: spec.argocdNamespace,
      labels: {
        'ml-gitops/model': spec.model,
        'ml-gitops/environment': environment,
      },
    },
    spec: {
      project: spec.argocdProject,
      sources: [
        {
          repoURL,
          targetRevision: environment,
          path: 'deploy/chart',
          helm: {
            valueFiles: ['../model.yaml'],
            parameters: [{ name: 'environment', value: environment }],
          },
        },
        {
          repoURL,
          targetRevision: environment,
          path: SECRETS_PATH,
          directory: { include: '*.sealed.yaml' },
        },
      ],
      destination: {
        ...(spec.destinationName
          ? { name: spec.destinationName }
          : { server: spec.destinationServer }),
        namespace: namespaceOf(spec, environment),
      },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
  };
}

/** An Application as this module writes it (a subset of `v1alpha1.Application`). */
export type ArgoApplication = {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Application';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
  };
  spec: Record<string, unknown> & { project: string };
};

/** Where the Application of an environment is committed in the repo. */
export function argoApplicationPath(environment: string): string {
  return `argocd/${environment}.yaml`;
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
  const registryEnv = spec.registryUrl
    ? `# the registry, written when the repo was created (change it by pull request)
env:
  ML_GITOPS_REGISTRY_URL: ${JSON.stringify(spec.registryUrl)}
`
    : '';
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
    '.github/workflows/validate.yaml': validateWorkflow(spec),
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

/** How the Flux objects of a repo are written (operator flux). */
export type FluxSettings = {
  /** The namespace of the Flux objects (Flux's own, flux-system, by default). */
  namespace: string;
  /**
   * An existing Secret in that namespace with the Git credentials of the
   * repo (`username`/`password` or `identity`/`known_hosts`, Flux's
   * GitRepository docs "Secret reference"); none for a public repo.
   */
  secretRef?: string;
};

/**
 * Where the Flux objects of an environment are committed in the repo. An
 * addition to the design contract: with Flux the config repo holds
 * flux/<environment>.yaml and deploy/flux/helmrelease.yaml.
 */
export function fluxObjectsPath(environment: string): string {
  return `flux/${environment}.yaml`;
}

/**
 * Names of the variables the model's Kustomization substitutes in
 * deploy/flux/helmrelease.yaml (kustomize-controller's `postBuild.substitute`,
 * Flux docs "Kustomization", "Post build variable substitution": names match
 * `^[_[:alpha:]][_[:alpha:][:digit:]]*$`), so the same file serves every branch.
 */
const FLUX_VAR_ENVIRONMENT = 'ml_gitops_environment';
const FLUX_VAR_NAMESPACE = 'ml_gitops_namespace';

/** A Flux object as this module writes and registers it. */
export type FluxObject = {
  apiVersion: string;
  kind: 'GitRepository' | 'Kustomization' | 'HelmRelease';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
  };
  spec: Record<string, unknown>;
};

/** The name of the GitRepository and the model's Kustomization of an environment. */
export function fluxName(spec: ConfigRepoSpec, environment: string): string {
  return `${spec.model}-${environment}`;
}

/**
 * The HelmRelease (helm.toolkit.fluxcd.io/v2, Flux docs "HelmRelease",
 * api/v2/helmrelease_types.go) that renders deploy/chart with
 * deploy/model.yaml as values, from the environment's GitRepository. The
 * chart is built from the Git source (HelmChartTemplate with a GitRepository
 * `sourceRef`); `reconcileStrategy: Revision` makes every commit a new chart
 * version, so a change of model.yaml alone is released. `valuesFiles` are
 * paths in the source and replace the chart's values.yaml unless listed
 * (source-controller docs "HelmChart", "Values files"), so both are listed.
 * The environment and namespace come from the Kustomization's post-build
 * substitution.
 */
export function fluxHelmRelease(
  spec: ConfigRepoSpec,
  flux: FluxSettings,
  environment = `\${${FLUX_VAR_ENVIRONMENT}}`,
  namespace = `\${${FLUX_VAR_NAMESPACE}}`,
): FluxObject {
  const name = `${spec.model}-${environment}`;
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: {
      name,
      namespace: flux.namespace,
      labels: {
        'ml-gitops/model': spec.model,
        'ml-gitops/environment': environment,
      },
    },
    spec: {
      interval: '5m',
      releaseName: spec.model,
      targetNamespace: namespace,
      install: { createNamespace: true },
      chart: {
        spec: {
          chart: './deploy/chart',
          reconcileStrategy: 'Revision',
          sourceRef: {
            kind: 'GitRepository',
            name,
            namespace: flux.namespace,
          },
          valuesFiles: ['./deploy/chart/values.yaml', './deploy/model.yaml'],
        },
      },
      values: { environment },
    },
  };
}

function fluxHelmReleaseFile(spec: ConfigRepoSpec, flux: FluxSettings) {
  return `# Applied by the Kustomization <model>-<environment> of flux/<environment>.yaml,
# which substitutes \${${FLUX_VAR_ENVIRONMENT}} and \${${FLUX_VAR_NAMESPACE}}.
${yaml.stringify(fluxHelmRelease(spec, flux))}`;
}

/**
 * The Flux objects that deploy one environment branch, registered in the
 * Flux namespace:
 *
 * - a GitRepository (source.toolkit.fluxcd.io/v1, Flux docs "GitRepository",
 *   api/v1/gitrepository_types.go) of the repo at the branch;
 * - the model's Kustomization (kustomize.toolkit.fluxcd.io/v1, Flux docs
 *   "Kustomization", api/v1/kustomization_types.go) applying deploy/flux
 *   (the HelmRelease) with the environment substituted; it carries the
 *   labels ml-gitops/model and ml-gitops/environment, so the backend reads
 *   this environment from it;
 * - the secrets' Kustomization applying secrets/ into the environment's
 *   namespace, so the SealedSecrets reach the cluster and its Sealed Secrets
 *   controller unseals them. secrets/ has no kustomization.yaml: the
 *   kustomize-controller then generates one with every manifest of the
 *   folder (Flux docs "Kustomization", `.spec.path`). It carries the model
 *   label only, so the backend does not take it for the deployment.
 */
export function fluxObjects(
  spec: ConfigRepoSpec,
  flux: FluxSettings,
  environment: string,
): FluxObject[] {
  const name = fluxName(spec, environment);
  const labels = {
    'ml-gitops/model': spec.model,
    'ml-gitops/environment': environment,
  };
  const sourceRef = { kind: 'GitRepository', name };
  return [
    {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name, namespace: flux.namespace, labels },
      spec: {
        interval: '1m',
        url: `${spec.repoUrl}.git`,
        ref: { branch: environment },
        ...(flux.secretRef ? { secretRef: { name: flux.secretRef } } : {}),
      },
    },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: flux.namespace, labels },
      spec: {
        interval: '10m',
        path: './deploy/flux',
        prune: true,
        sourceRef,
        postBuild: {
          substitute: {
            [FLUX_VAR_ENVIRONMENT]: environment,
            [FLUX_VAR_NAMESPACE]: namespaceOf(spec, environment),
          },
        },
      },
    },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: {
        name: `${name}-secrets`,
        namespace: flux.namespace,
        labels: { 'ml-gitops/model': spec.model },
      },
      spec: {
        interval: '10m',
        path: `./${SECRETS_PATH}`,
        prune: true,
        sourceRef,
        targetNamespace: namespaceOf(spec, environment),
        // the namespace is made by the model's HelmRelease
        dependsOn: [{ name }],
      },
    },
  ];
}
