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

import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  mlGitopsDeploymentDeployPermission,
  setModelVersion,
} from '@ml-gitops/plugin-ml-gitops-common';
import { examples } from './deploy.examples';
import { checkEnvironment, checkVersion } from './inputs';
import {
  overrideInput,
  pullRequestOutput,
  environmentField,
  versionField,
  manifestTargetInput,
} from './inputFields';
import { branchChange, openedBy, proposeManifestChange } from './pullRequest';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { readBranchManifest, refuseFrozen } from './branchManifest';
import { resolveTarget } from './modelTarget';
import { checkForce, enforce, forceWarning } from './overrides';
import { authorizeForce } from './permissionChecks';
import {
  checkRegistry,
  registrySection,
  storageUriFor,
} from './registryChecks';

/**
 * `ml-gitops:deploy`: opens a pull request to an environment's branch of the
 * config repo that changes `model_version`, after checking the version in the
 * registry and against the manifest's gate.
 *
 * @public
 */
export function createDeployAction(options: MlGitopsActionOptions) {
  const { reader, writer } = createGitClients(options);
  return createTemplateAction({
    id: 'ml-gitops:deploy',
    description:
      'Opens a pull request to an environment branch of the config repo that sets model_version, after checking that the registry has the version, that it is READY and not archived or rejected, and that it passes the manifest gate.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...manifestTargetInput,
        version: versionField('The registry version id to deploy, e.g. "13"'),
        environment: z =>
          environmentField(
            options.config.environments,
            'The environment (branch) to deploy to; defaults to the first of mlGitops.environments',
          )(z).optional(),
        ...overrideInput('registry or gate'),
      },
      output: pullRequestOutput('The branch holding the change'),
    },
    async handler(ctx) {
      const { input } = ctx;
      const version = checkVersion(input.version);
      checkForce(input);
      const environment = checkEnvironment(
        options.config,
        input.environment ?? options.config.environments[0],
        'environment',
      );
      const target = await resolveTarget(ctx, options, reader, input, {
        permission: mlGitopsDeploymentDeployPermission,
        what: 'deploy',
      });
      await authorizeForce(ctx, options, input, target.entityRef);
      const { loc, manifestPath } = target;
      ctx.logger.info(
        `Deploying version ${version} to ${environment} via ${loc.url} (${manifestPath})`,
      );

      const current = await readBranchManifest(writer, target, environment);
      refuseFrozen(current.manifest, environment, `deploy ${version}`);
      const model = target.model ?? current.manifest.model_name;
      const oldVersion = current.manifest.model_version;
      if (oldVersion === version) {
        throw new InputError(
          `Branch ${environment} already declares ${model} version ${version}; nothing to deploy`,
        );
      }
      // Refuses a manifest whose model_version it cannot edit, before any
      // registry call or Git write.
      setModelVersion(current.text, version);
      ctx.logger.info(
        `${environment} declares version ${oldVersion} at ${current.head.slice(
          0,
          7,
        )}`,
      );

      const facts = await checkRegistry(options.config, {
        registryName: target.registryName,
        model,
        version,
        manifest: current.manifest,
      });
      enforce(
        `deploy ${model} version ${version}`,
        facts.blockers,
        input,
        ctx.logger,
        facts.unforceable,
      );
      ctx.logger.info(
        `Registry ${facts.registry}: ${
          facts.version ? facts.version.status : 'not checked'
        }; gate ${facts.gate.outcome}`,
      );
      const storageUri = await storageUriFor(options.config, {
        registryName: target.registryName,
        manifest: current.manifest,
        model,
        version,
      });
      if (storageUri) {
        ctx.logger.info(
          `${model} version ${version} is stored at ${storageUri}`,
        );
      }

      const change = branchChange(
        'deploy',
        loc,
        { manifestPath, model },
        environment,
        version,
      );
      const { branch } = change;
      const title = `Deploy ${model} ${version} to ${environment}`;
      const body = [
        forceWarning(facts.blockers, input),
        `Deploys **${model}** to **${environment}**: version \`${oldVersion}\` → \`${version}\`.`,
        '',
        `Changes \`model_version\`${
          storageUri ? ` and \`storage_uri\` (\`${storageUri}\`)` : ''
        } in \`${manifestPath}\`. Merging this pull request deploys the version.`,
        '',
        registrySection(facts),
        '',
        openedBy('ml-gitops:deploy', ctx, target.entityRef),
      ].join('\n');

      await proposeManifestChange(ctx, writer, change, {
        dryRun: `commit "${title}" on ${branch} (from ${environment}@${current.head.slice(
          0,
          7,
        )}) and open a pull request into ${environment}`,
        baseHead: current.head,
        manifestPath,
        edit: text =>
          setModelVersion(text, version, storageUri ? { storageUri } : {}),
        message: `${title}\n\nmodel_version ${oldVersion} → ${version}${
          storageUri ? `\nstorage_uri ${storageUri}` : ''
        }`,
        title,
        body,
        record: { kind: 'deploy', environment, from: oldVersion, to: version },
        environments: options.config.environments,
      });
    },
  });
}
