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
import {
  ConfigRepoSpec,
  FluxSettings,
  namespaceOf,
  SECRETS_PATH,
} from './configRepoSpec';

// The Flux objects of a config repo (operator flux): GitRepository, Kustomizations and the HelmRelease they apply.

/** Where the HelmRelease the model's Kustomization applies lives in the repo. */
export const FLUX_HELM_RELEASE_PATH = 'deploy/flux/helmrelease.yaml';

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

/** deploy/flux/helmrelease.yaml: the HelmRelease, with a comment saying what fills it in. */
export function fluxHelmReleaseFile(spec: ConfigRepoSpec, flux: FluxSettings) {
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
