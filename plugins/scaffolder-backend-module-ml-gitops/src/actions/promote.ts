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
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  canaryBlocksPromotion,
  describeCanary,
  getNextEnvironment,
  markdownText,
  mlGitopsDeploymentPromotePermission,
  setModelVersion,
} from '@ml-gitops/plugin-ml-gitops-common';
import { examples } from './promote.examples';
import { canarySection, checkLiveStatus } from './promotionSource';
import { checkEnvironment, checkReviewers } from './inputs';
import {
  overrideInput,
  pullRequestOutput,
  environmentField,
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

/** Options of {@link createPromoteAction}. @public */
export type PromoteActionOptions = MlGitopsActionOptions & {
  /** With auth, lets the action ask the ml-gitops backend for live status. */
  discovery?: DiscoveryService;
  auth?: AuthService;
};

/**
 * `ml-gitops:promote`: opens a pull request into the next environment's
 * branch, from a branch cut from its head, whose one commit sets
 * `model_version` to the version the source environment declares and
 * serves. Environment branches are never merged into each other.
 *
 * @public
 */
export function createPromoteAction(options: PromoteActionOptions) {
  const { reader, writer } = createGitClients(options);
  return createTemplateAction({
    id: 'ml-gitops:promote',
    description:
      "Opens a pull request into the next environment's branch of the config repo that sets model_version to the version the source environment declares and serves (nothing else crosses between environments), with the registry metrics against the gate, the source's live status and its canary verdict.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...manifestTargetInput,
        sourceEnvironment: environmentField(
          options.config.environments,
          'The environment (branch) to promote from, e.g. staging',
        ),
        targetEnvironment: z =>
          environmentField(
            options.config.environments,
            'The environment (branch) to promote to; must come directly after the source in mlGitops.environments, which is the default',
          )(z).optional(),
        reviewers: z =>
          z
            .array(z.string())
            .describe(
              'Reviewers to request: GitHub logins, or teams written org/team-slug',
            )
            .optional(),
        allowUnverifiedSource: z =>
          z
            .boolean()
            .describe(
              "Promote even when the ml-gitops backend cannot tell the source environment's live status (unreachable); the pull request says so",
            )
            .optional(),
        ...overrideInput('registry, gate, live status or canary analysis'),
      },
      output: pullRequestOutput('The branch holding the promotion'),
    },
    async handler(ctx) {
      const { input } = ctx;
      checkForce(input);
      const reviewers = checkReviewers(input.reviewers);
      const source = checkEnvironment(
        options.config,
        input.sourceEnvironment,
        'sourceEnvironment',
      );
      const next = getNextEnvironment(options.config.environments, source);
      const target = checkEnvironment(
        options.config,
        input.targetEnvironment ?? next ?? source,
        'targetEnvironment',
      );
      if (target !== next) {
        throw new InputError(
          next
            ? `${source} promotes to ${next}, not ${target}: promotion follows the order ${options.config.environments.join(
                ' → ',
              )}`
            : `${source} is the last environment (${options.config.environments.join(
                ' → ',
              )}); there is nothing to promote it to`,
        );
      }
      const resolved = await resolveTarget(ctx, options, reader, input, {
        permission: mlGitopsDeploymentPromotePermission,
        what: 'promote',
      });
      await authorizeForce(ctx, options, input, resolved.entityRef);
      const { loc } = resolved;
      ctx.logger.info(`Promoting ${source} → ${target} in ${loc.url}`);

      const [from, to] = await Promise.all([
        readBranchManifest(writer, resolved, source),
        readBranchManifest(writer, resolved, target),
      ]);
      refuseFrozen(to.manifest, target, `promote to ${target}`);
      const model = resolved.model ?? from.manifest.model_name;
      const newVersion = from.manifest.model_version;
      const oldVersion = to.manifest.model_version;
      if (newVersion === oldVersion) {
        throw new InputError(
          `${source} and ${target} both declare ${model} version ${newVersion}; nothing to promote`,
        );
      }
      ctx.logger.info(`${target}: ${oldVersion} → ${newVersion}`);

      const facts = await checkRegistry(options.config, {
        registryName: resolved.registryName,
        model,
        version: newVersion,
        manifest: from.manifest,
      });
      const live = await checkLiveStatus(
        options,
        () => ctx.getInitiatorCredentials(),
        resolved.entityRef,
        source,
      );
      const blockers = [...facts.blockers];
      let liveLine: string;
      if (live.kind === 'ok') {
        liveLine = `**${source} live**: in-sync, ${
          live.status.live
            ? `${live.status.live.healthStatus}, serving ${live.status.live.version} (${live.status.live.source} ${live.status.live.application})`
            : 'no live details'
        }`;
      } else if (live.kind === 'bad') {
        blockers.push(live.problem);
        liveLine = `**${source} live**: ${markdownText(live.problem)}`;
      } else {
        if (!input.allowUnverifiedSource) {
          throw new InputError(
            `Cannot verify that ${source} is in-sync and healthy: ${live.problem}. Retry when the backend answers, or set allowUnverifiedSource: true to promote without this check.`,
          );
        }
        ctx.logger.warn(
          `Promoting without the live status of ${source}: ${live.problem}`,
        );
        liveLine = `**${source} live**: not verified (${markdownText(
          live.problem,
        )}); promoted with allowUnverifiedSource`;
      }
      // A canary analysis that failed, was inconclusive or has not concluded
      // in the source blocks the promotion of the version it analysed.
      const canary = live.kind === 'unknown' ? undefined : live.status.canary;
      if (canary && canaryBlocksPromotion(canary, newVersion)) {
        blockers.push(
          `the canary analysis in ${source} has not succeeded: ${describeCanary(
            canary,
          )}`,
        );
      }
      enforce(
        `promote ${model} ${newVersion} to ${target}`,
        blockers,
        input,
        ctx.logger,
        facts.unforceable,
      );
      // The target's storage_uri follows the registry, not the source's
      // manifest: only the version crosses between environments.
      const storageUri = await storageUriFor(options.config, {
        registryName: resolved.registryName,
        manifest: to.manifest,
        model,
        version: newVersion,
      });

      const change = branchChange(
        'promote',
        loc,
        { manifestPath: resolved.manifestPath, model },
        target,
        newVersion,
      );
      const title = `Promote ${model} to ${target}: ${oldVersion} → ${newVersion}`;
      const body = [
        forceWarning(blockers, input),
        `Promotes **${model}** from **${source}** to **${target}**: version \`${oldVersion}\` → \`${newVersion}\`.`,
        '',
        `Sets \`model_version\`${
          storageUri ? ` (and \`storage_uri\`, \`${storageUri}\`)` : ''
        } in \`${
          resolved.manifestPath
        }\` on ${target} to the version ${source} declares at [${from.head.slice(
          0,
          7,
        )}](${loc.url}/commit/${
          from.head
        }). Nothing else is taken from ${source}: its secrets, workflows and code owners stay its own.`,
        '',
        liveLine,
        '',
        ...(canary ? [canarySection(source, canary), ''] : []),
        registrySection(facts),
        '',
        openedBy('ml-gitops:promote', ctx, resolved.entityRef),
      ].join('\n');

      await proposeManifestChange(ctx, writer, change, {
        dryRun: `commit model_version ${newVersion} on ${
          change.branch
        } (from ${target}@${to.head.slice(0, 7)}) and open "${title}"${
          input.reviewers?.length
            ? `, requesting reviews from ${input.reviewers.join(', ')}`
            : ''
        }`,
        baseHead: to.head,
        manifestPath: resolved.manifestPath,
        edit: text =>
          setModelVersion(text, newVersion, storageUri ? { storageUri } : {}),
        message: `${title}\n\nmodel_version ${oldVersion} → ${newVersion}, as ${source} declares at ${
          from.head
        }${storageUri ? `\nstorage_uri ${storageUri}` : ''}`,
        title,
        body,
        reviewers,
        record: {
          kind: 'promote',
          environment: target,
          from: oldVersion,
          to: newVersion,
          sourceEnvironment: source,
          sourceCommit: from.head,
        },
        environments: options.config.environments,
      });
    },
  });
}
