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
  configRepoCreateInput,
  configRepoCreateOutput,
} from './configRepoCreateSchema';
import {
  logDryRunRegistration,
  registerConfigRepo,
} from './configRepoRegistration';

// The action ml-gitops:config-repo:create: its options and handler; its fields are in configRepoCreateSchema.ts.

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
      input: configRepoCreateInput,
      output: configRepoCreateOutput,
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
        gitHost: options.integrations.gitlab.byHost(loc.host)
          ? 'gitlab'
          : 'github',
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
