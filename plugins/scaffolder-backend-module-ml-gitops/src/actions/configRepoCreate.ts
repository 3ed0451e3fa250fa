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

import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  formatManifestProblem,
  mlGitopsConfigRepoCreatePermission,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ConfigRepoLocation } from '@ml-gitops/plugin-ml-gitops-node';
import { examples } from './configRepoCreate.examples';
import { CATALOG_INFO_PATH, configRepoFiles } from './configRepoFiles';
import { ConfigRepoSpec } from './configRepoSpec';
import { checkVersion } from './inputs';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { resolveModel } from './modelTarget';
import { checkForce } from './overrides';
import { authorizeChange } from './permissionChecks';
import {
  checkEntityOwner,
  checkRepoSettings,
  resolveOperator,
} from './configRepoCreateInputs';
import { resolveStartingVersion } from './configRepoCreateServing';
import { setUpConfigRepo } from './configRepoSetup';
import {
  logDryRunRegistration,
  registerConfigRepo,
} from './configRepoRegistration';

// The action ml-gitops:config-repo:create: its options, schema and handler (one cohesive thing; over 400 lines for the schema's per-field descriptions).

/** Options of {@link createConfigRepoCreateAction}. @public */
export type ConfigRepoCreateActionOptions = MlGitopsActionOptions & {
  /** The root config: the `kubernetes` clusters Flux objects are registered on. */
  rootConfig?: Config;
  /** For clusters reached through the Kubernetes plugin's proxy. */
  discovery?: DiscoveryService;
  auth?: AuthService;
  /** The fetch of the Kubernetes API client; tests pass their own. */
  kubernetesFetch?: typeof fetch;
  /** The URL git pushes to; defaults to `<repo URL>.git`. Tests use a bare repo. */
  remoteUrl?: (loc: ConfigRepoLocation) => string;
};

/**
 * `ml-gitops:config-repo:create`: creates a model's config repo on GitHub
 * with its environment branches, the manifest, chart, validate workflow,
 * CODEOWNERS, Argo CD Applications (or Flux objects) and branch protection,
 * and registers the Applications with a configured Argo CD instance, or
 * server-side applies the Flux objects on a cluster of mlGitops.flux.clusters.
 *
 * @public
 */
export function createConfigRepoCreateAction(
  options: ConfigRepoCreateActionOptions,
) {
  const { reader, writer } = createGitClients(options);
  const remoteUrl = options.remoteUrl ?? (loc => `${loc.url}.git`);
  return createTemplateAction({
    id: 'ml-gitops:config-repo:create',
    description:
      "Creates a model's config repo on GitHub: one branch per environment holding deploy/model.yaml, the Helm chart, the validate workflow, CODEOWNERS and Argo CD Applications or Flux objects, with branch protection (the last environment needs a code owner's review and the validate check), and registers the Applications with Argo CD or applies the Flux objects (GitRepository and Kustomizations) on a Flux cluster.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z
            .string()
            .describe(
              'The repo to create: github.com?owner=acme&repo=fraud-detector-config (RepoUrlPicker) or https://github.com/acme/fraud-detector-config',
            ),
        model: z =>
          z
            .string()
            .describe("The model's name in the registry, e.g. fraud-detector"),
        version: z =>
          z
            .string()
            .describe(
              'The registry version every environment starts with, e.g. "1"',
            ),
        registry: z =>
          z
            .string()
            .describe(
              'Which configured registry (mlGitops.registries) holds the model; defaults to the only one',
            )
            .optional(),
        owners: z =>
          z
            .array(z.string())
            .min(1)
            .describe(
              'CODEOWNERS of the repo: @org/team, @user or an email; they review production',
            ),
        gates: z =>
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
        runtime: z =>
          z.string().describe('Serving runtime (default kserve)').optional(),
        replicas: z =>
          z
            .number()
            .int()
            .min(0)
            .describe('Serving replicas (default 2)')
            .optional(),
        description: z =>
          z.string().describe('Description of the repository').optional(),
        visibility: z =>
          z
            .enum(['private', 'internal', 'public'])
            .describe('Repository visibility (default private)')
            .optional(),
        namespace: z =>
          z
            .string()
            .describe(
              'Kubernetes namespace the model serves in; {environment} is replaced per environment (default ml-{environment})',
            )
            .optional(),
        argocdNamespace: z =>
          z
            .string()
            .describe('Namespace of Argo CD Applications (default argocd)')
            .optional(),
        argocdProject: z =>
          z.string().describe('Argo CD project (default default)').optional(),
        destinationServer: z =>
          z
            .string()
            .describe(
              'Cluster API server the Applications deploy to (default https://kubernetes.default.svc)',
            )
            .optional(),
        destinationName: z =>
          z
            .string()
            .describe(
              "Name of the cluster in Argo CD's cluster list the Applications deploy to, instead of destinationServer",
            )
            .optional(),
        operator: z =>
          z
            .enum(['argocd', 'flux', 'none'])
            .describe(
              'Who deploys the repo: argocd registers the Applications with an Argo CD instance (the default when mlGitops.argocd.instances has one); flux commits Flux objects and applies them on a cluster of mlGitops.flux.clusters (the default when no Argo CD instance but a Flux cluster is configured); none only commits the Applications',
            )
            .optional(),
        argocdInstance: z =>
          z
            .string()
            .describe(
              'Which instance of mlGitops.argocd.instances registers the Applications (default the first)',
            )
            .optional(),
        // An addition to the design contract: operator flux and its inputs
        // fluxCluster, fluxNamespace and fluxSecretRef; output fluxObjects.
        fluxCluster: z =>
          z
            .string()
            .describe(
              'Which cluster of mlGitops.flux.clusters the Flux objects are applied on (operator flux; default the first)',
            )
            .optional(),
        fluxNamespace: z =>
          z
            .string()
            .describe(
              'Namespace of the Flux objects (operator flux; default flux-system)',
            )
            .optional(),
        fluxSecretRef: z =>
          z
            .string()
            .describe(
              'Name of an existing Secret in the Flux namespace holding the Git credentials of the repo (username/password or identity/known_hosts), for a private repo (operator flux); it is referenced, never created',
            )
            .optional(),
        replaceApplications: z =>
          z
            .boolean()
            .describe(
              'When Argo CD already has an Application of the same name with another spec, replace its spec instead of refusing (default false)',
            )
            .optional(),
        entityOwner: z =>
          z
            .string()
            .describe(
              "Owner of the model's catalog entity, e.g. group:default/fraud-ml; when set the repo also holds catalog-info.yaml (a Component with the ml-gitops annotations) for catalog:register",
            )
            .optional(),
        entitySystem: z =>
          z
            .string()
            .describe(
              "System of the model's catalog entity, e.g. ml-serving (with entityOwner)",
            )
            .optional(),
        autoRollback: z =>
          z
            .boolean()
            .describe(
              'Annotate the model\'s catalog entity with ml-gitops/auto-rollback: "true" (with entityOwner), so the backend opens a rollback pull request by itself when a canary analysis fails or the declared version does not serve (in the environments mlGitops.autoRollback enables, by default the last); merging stays a person\'s decision',
            )
            .optional(),
        force: z =>
          z
            .boolean()
            .describe(
              'Create the repo even though the registry or gate checks of the version fail; needs a reason',
            )
            .optional(),
        reason: z =>
          z
            .string()
            .describe('Why the checks are overridden; logged')
            .optional(),
      },
      output: {
        remoteUrl: z => z.string().describe('HTTPS URL of the new repo'),
        defaultBranch: z =>
          z.string().describe('The default branch (the first environment)'),
        annotations: z =>
          z
            .record(z.string(), z.string())
            .describe(
              'The ml-gitops annotations to put on the model entity (catalog-info.yaml)',
            ),
        applications: z =>
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
        fluxObjects: z =>
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
        catalogInfoUrl: z =>
          z
            .string()
            .describe(
              "URL of the model's catalog-info.yaml in the new repo, for catalog:register (with entityOwner)",
            )
            .optional(),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const version = checkVersion(input.version);
      checkForce(input);
      checkRepoSettings(input, options.config);
      const { environments } = options.config;
      await authorizeChange(
        ctx,
        options,
        mlGitopsConfigRepoCreatePermission,
        'create config repos',
      );
      const target = await resolveModel(ctx, options, reader, {
        repoUrl: input.repoUrl,
      });
      const { loc } = target;
      const serving = await resolveStartingVersion(
        ctx.logger,
        options.config,
        input,
        version,
      );

      const spec: ConfigRepoSpec = {
        model: input.model,
        version,
        registry: serving.registryName,
        storageUri: serving.storageUri,
        modelFormat: serving.modelFormat,
        registryUrl: serving.registryUrl,
        registryType: serving.registryType,
        runtime: input.runtime ?? 'kserve',
        replicas: input.replicas ?? 2,
        gates: serving.gates,
        environments,
        owners: input.owners,
        repoUrl: loc.url,
        namespace: input.namespace ?? 'ml-{environment}',
        argocdNamespace: input.argocdNamespace ?? 'argocd',
        argocdProject: input.argocdProject ?? 'default',
        destinationServer:
          input.destinationServer ?? 'https://kubernetes.default.svc',
        ...(input.destinationName
          ? { destinationName: input.destinationName }
          : {}),
        entity: checkEntityOwner(
          input.entityOwner,
          input.entitySystem,
          input.autoRollback,
        ),
      };
      const registration = resolveOperator(input, options.config);
      if (registration.operator === 'flux') {
        spec.flux = {
          namespace: input.fluxNamespace ?? 'flux-system',
          ...(input.fluxSecretRef ? { secretRef: input.fluxSecretRef } : {}),
        };
      }
      const files = configRepoFiles(spec);
      const parsed = parseModelManifest(files['deploy/model.yaml']);
      if (!parsed.ok) {
        throw new InputError(
          `The generated manifest is invalid: ${parsed.problems
            .map(formatManifestProblem)
            .join('; ')}`,
        );
      }
      ctx.logger.info(
        `Creating ${loc.url} for ${
          input.model
        } ${version} with branches ${environments.join(', ')}`,
      );

      const annotations = {
        'ml-gitops/model': input.model,
        'ml-gitops/config-repo': loc.url,
        ...(input.registry ? { 'ml-gitops/registry': input.registry } : {}),
      };
      ctx.output('remoteUrl', loc.url);
      ctx.output('defaultBranch', environments[0]);
      ctx.output('annotations', annotations);
      if (spec.entity) {
        ctx.output(
          'catalogInfoUrl',
          `${loc.url}/blob/${environments[0]}/${CATALOG_INFO_PATH}`,
        );
      }

      // Remembered, so a retry after the creation below does not refuse.
      const existedAtStart = await ctx.checkpoint({
        key: `ml-gitops.config-repo.exists.${loc.owner}.${loc.repo}`,
        fn: async () => writer.repositoryExists(loc),
      });
      if (existedAtStart) {
        throw new InputError(
          `${loc.url} already exists; choose another repository name, or annotate the entity with it if it is already a config repo`,
        );
      }

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create ${loc.url} with ${
            Object.keys(files).length
          } files on ${environments.join(
            ', ',
          )} and protect them (${environments.at(-1)} needs a review)`,
        );
        logDryRunRegistration(ctx, spec, registration);
        return;
      }

      await setUpConfigRepo(ctx, writer, options.config, {
        loc,
        remoteUrl: remoteUrl(loc),
        environments,
        files,
        model: input.model,
        version,
        owners: input.owners,
        description: input.description,
        visibility: input.visibility,
      });

      await registerConfigRepo(ctx, spec, registration, {
        rootConfig: options.rootConfig,
        discovery: options.discovery,
        auth: options.auth,
        kubernetesFetch: options.kubernetesFetch,
        replaceApplications: input.replaceApplications,
      });
    },
  });
}
