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

// What a new config repo is generated from, and what its Argo CD and Flux objects share.

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
  /**
   * The registry's type when it is not MLflow (e.g. `kubeflow`), written
   * into the validate workflow as ML_GITOPS_REGISTRY_TYPE.
   */
  registryType?: string;
  /**
   * The Git host's kind, which picks the merge check: a GitHub Actions
   * workflow on GitHub, a `.gitlab-ci.yml` job on GitLab.
   */
  gitHost?: 'github' | 'gitlab';
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

/** The namespace the model serves in, in one environment. */
export function namespaceOf(spec: ConfigRepoSpec, environment: string): string {
  return spec.namespace.replace(/\{environment\}/g, environment);
}

/** Where the SealedSecrets of an environment branch live (DESIGN.md "The config repo"). */
export const SECRETS_PATH = 'secrets';
