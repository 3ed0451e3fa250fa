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

import { ConfigRepoSpec, namespaceOf, SECRETS_PATH } from './configRepoSpec';

// The Argo CD Application of each environment branch of a config repo, and where it is committed.

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
