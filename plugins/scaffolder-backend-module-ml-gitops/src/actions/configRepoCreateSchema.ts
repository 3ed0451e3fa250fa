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

import type { z as zod } from 'zod/v3';

// The input and output fields of ml-gitops:config-repo:create, each described for the template author.

type Z = typeof zod;

/** The inputs of `ml-gitops:config-repo:create`. */
export const configRepoCreateInput = {
  repoUrl: (z: Z) =>
    z
      .string()
      .describe(
        'The repo to create: github.com?owner=acme&repo=fraud-detector-config (RepoUrlPicker) or https://github.com/acme/fraud-detector-config',
      ),
  model: (z: Z) =>
    z
      .string()
      .describe("The model's name in the registry, e.g. fraud-detector"),
  version: (z: Z) =>
    z
      .string()
      .describe('The registry version every environment starts with, e.g. "1"'),
  registry: (z: Z) =>
    z
      .string()
      .describe(
        'Which configured registry (mlGitops.registries) holds the model; defaults to the only one',
      )
      .optional(),
  owners: (z: Z) =>
    z
      .array(z.string())
      .min(1)
      .describe(
        'CODEOWNERS of the repo: @org/team, @user or an email; they review production',
      ),
  gates: (z: Z) =>
    z
      .record(
        z.string(),
        z.object({
          min: z.number().optional().describe('Inclusive minimum'),
          max: z.number().optional().describe('Inclusive maximum'),
        }),
      )
      .describe(
        'Performance gate: registry metric → { min, max }, e.g. { auc: { min: 0.92 } }',
      )
      .optional(),
  runtime: (z: Z) =>
    z.string().describe('Serving runtime (default kserve)').optional(),
  replicas: (z: Z) =>
    z.number().int().min(0).describe('Serving replicas (default 2)').optional(),
  description: (z: Z) =>
    z.string().describe('Description of the repository').optional(),
  visibility: (z: Z) =>
    z
      .enum(['private', 'internal', 'public'])
      .describe('Repository visibility (default private)')
      .optional(),
  namespace: (z: Z) =>
    z
      .string()
      .describe(
        'Kubernetes namespace the model serves in; {environment} is replaced per environment (default ml-{environment})',
      )
      .optional(),
  argocdNamespace: (z: Z) =>
    z
      .string()
      .describe('Namespace of Argo CD Applications (default argocd)')
      .optional(),
  argocdProject: (z: Z) =>
    z.string().describe('Argo CD project (default default)').optional(),
  destinationServer: (z: Z) =>
    z
      .string()
      .describe(
        'Cluster API server the Applications deploy to (default https://kubernetes.default.svc)',
      )
      .optional(),
  destinationName: (z: Z) =>
    z
      .string()
      .describe(
        "Name of the cluster in Argo CD's cluster list the Applications deploy to, instead of destinationServer",
      )
      .optional(),
  operator: (z: Z) =>
    z
      .enum(['argocd', 'flux', 'none'])
      .describe(
        'Who deploys the repo: argocd registers the Applications with an Argo CD instance (the default when mlGitops.argocd.instances has one); flux commits Flux objects and applies them on a cluster of mlGitops.flux.clusters (the default when no Argo CD instance but a Flux cluster is configured); none only commits the Applications',
      )
      .optional(),
  argocdInstance: (z: Z) =>
    z
      .string()
      .describe(
        'Which instance of mlGitops.argocd.instances registers the Applications (default the first)',
      )
      .optional(),
  // An addition to the design contract: operator flux and its inputs
  // fluxCluster, fluxNamespace and fluxSecretRef; output fluxObjects.
  fluxCluster: (z: Z) =>
    z
      .string()
      .describe(
        'Which cluster of mlGitops.flux.clusters the Flux objects are applied on (operator flux; default the first)',
      )
      .optional(),
  fluxNamespace: (z: Z) =>
    z
      .string()
      .describe(
        'Namespace of the Flux objects (operator flux; default flux-system)',
      )
      .optional(),
  fluxSecretRef: (z: Z) =>
    z
      .string()
      .describe(
        'Name of an existing Secret in the Flux namespace holding the Git credentials of the repo (username/password or identity/known_hosts), for a private repo (operator flux); it is referenced, never created',
      )
      .optional(),
  replaceApplications: (z: Z) =>
    z
      .boolean()
      .describe(
        'When Argo CD already has an Application of the same name with another spec, replace its spec instead of refusing (default false)',
      )
      .optional(),
  entityOwner: (z: Z) =>
    z
      .string()
      .describe(
        "Owner of the model's catalog entity, e.g. group:default/fraud-ml; when set the repo also holds catalog-info.yaml (a Component with the ml-gitops annotations) for catalog:register",
      )
      .optional(),
  entitySystem: (z: Z) =>
    z
      .string()
      .describe(
        "System of the model's catalog entity, e.g. ml-serving (with entityOwner)",
      )
      .optional(),
  autoRollback: (z: Z) =>
    z
      .boolean()
      .describe(
        'Annotate the model\'s catalog entity with ml-gitops/auto-rollback: "true" (with entityOwner), so the backend opens a rollback pull request by itself when a canary analysis fails or the declared version does not serve (in the environments mlGitops.autoRollback enables, by default the last); merging stays a person\'s decision',
      )
      .optional(),
  force: (z: Z) =>
    z
      .boolean()
      .describe(
        'Create the repo even though the registry or gate checks of the version fail; needs a reason',
      )
      .optional(),
  reason: (z: Z) =>
    z.string().describe('Why the checks are overridden; logged').optional(),
};

/** The outputs of `ml-gitops:config-repo:create`. */
export const configRepoCreateOutput = {
  remoteUrl: (z: Z) => z.string().describe('HTTPS URL of the new repo'),
  defaultBranch: (z: Z) =>
    z.string().describe('The default branch (the first environment)'),
  annotations: (z: Z) =>
    z
      .record(z.string(), z.string())
      .describe(
        'The ml-gitops annotations to put on the model entity (catalog-info.yaml)',
      ),
  applications: (z: Z) =>
    z
      .array(
        z.object({
          name: z.string().describe('Name of the Application'),
          instance: z
            .string()
            .describe('The Argo CD instance it is registered with'),
          registration: z
            .enum(['created', 'unchanged', 'updated', 'dry-run'])
            .describe(
              'created, unchanged (it existed with this spec), updated (replaceApplications) or dry-run (not sent)',
            ),
        }),
      )
      .describe(
        'The Argo CD Applications registered, one per environment (operator argocd)',
      )
      .optional(),
  fluxObjects: (z: Z) =>
    z
      .array(
        z.object({
          kind: z.string().describe('GitRepository or Kustomization'),
          name: z.string().describe('namespace/name of the object'),
          cluster: z.string().describe('The cluster it is applied on'),
          registration: z
            .enum(['created', 'unchanged', 'updated', 'dry-run'])
            .describe(
              'created, unchanged (it existed as applied), updated (an earlier apply differed) or dry-run (not sent)',
            ),
        }),
      )
      .describe(
        'The Flux objects applied, three per environment (operator flux)',
      )
      .optional(),
  catalogInfoUrl: (z: Z) =>
    z
      .string()
      .describe(
        "URL of the model's catalog-info.yaml in the new repo, for catalog:register (with entityOwner)",
      )
      .optional(),
};
