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

import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  mlGitopsDeploymentRollbackPermission,
  mlGitopsVersionRejectPermission,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ConfigRepoLocation,
  proposeRollback,
} from '@ml-gitops/plugin-ml-gitops-node';
import { examples } from './rollback.examples';
import {
  checkNonEmptyText,
  checkVersion,
  checkEnvironmentInput,
} from './inputs';
import {
  pullRequestOutput,
  versionField,
  environmentChangeInput,
} from './inputFields';
import { initiatorAuthor, openedBy, outputChangeRequest } from './pullRequest';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { resolveTarget } from './modelTarget';
import { authorizeChange } from './permissionChecks';
import { registryFor } from './registryChecks';

/** Options of {@link createRollbackAction}. @public */
export type RollbackActionOptions = MlGitopsActionOptions & {
  /**
   * The URL git clones and pushes; defaults to `<repo URL>.git` over HTTPS.
   * Tests point it at a local bare repository.
   */
  remoteUrl?: (loc: ConfigRepoLocation) => string;
  /** How many first-parent commits to search for deployments (default 500). */
  maxHistory?: number;
};

export type { VersionChange } from '@ml-gitops/plugin-ml-gitops-node';

/**
 * `ml-gitops:rollback`: opens a pull request that brings an environment
 * back to the newest earlier version that served there and was not itself
 * rolled back from (or to `toVersion`), with a reason; by default it marks
 * the version it leaves as rejected in the registry.
 *
 * @public
 */
export function createRollbackAction(options: RollbackActionOptions) {
  const { reader, writer } = createGitClients(options);

  return createTemplateAction({
    id: 'ml-gitops:rollback',
    description:
      'Opens a pull request that brings an environment back to the newest earlier version that served there and was not itself rolled back from (a git revert of the last deployment when that is a plain deploy or promotion), with a reason; marks the version it leaves as rejected in the registry unless told not to.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...environmentChangeInput(
          options.config.environments,
          'The environment (branch) to roll back, e.g. production',
        ),
        reason: z =>
          z
            .string()
            .max(1000)
            .describe(
              'Why the environment is rolled back; written in the pull request, the history and the notification',
            ),
        toVersion: z =>
          versionField(
            'The version to go back to: any earlier version that served in the environment and is not rejected; default the newest one not rolled back from',
          )(z).optional(),
        rejectVersion: z =>
          z
            .boolean()
            .describe(
              'Mark the version rolled back from as rejected in the registry, so it is not deployed again (default true)',
            )
            .optional(),
      },
      output: {
        ...pullRequestOutput('The branch holding the rollback'),
        revertedCommit: z =>
          z
            .string()
            .describe(
              'The deployment commit reverted, when the rollback is a git revert',
            )
            .optional(),
        previousVersion: z =>
          z.string().describe('The version the rollback brings back'),
        rolledBackFrom: z =>
          z.string().describe('The version the environment leaves'),
        method: z =>
          z
            .enum(['revert', 'value'])
            .describe(
              'revert: a git revert of the last deployment; value: a commit setting model_version',
            ),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const environment = checkEnvironmentInput(options.config, input);
      const reason = checkNonEmptyText(input.reason, 'reason', 1000);
      const toVersion =
        input.toVersion === undefined || input.toVersion === ''
          ? undefined
          : checkVersion(input.toVersion, 'toVersion');
      const rejectVersion = input.rejectVersion !== false;
      const target = await resolveTarget(ctx, options, reader, input, {
        permission: mlGitopsDeploymentRollbackPermission,
        what: 'roll back',
      });
      if (rejectVersion) {
        await authorizeChange(
          ctx,
          options,
          mlGitopsVersionRejectPermission,
          `mark the version left by this rollback rejected for ${target.entityRef} (set rejectVersion: false to roll back without rejecting)`,
          target.entityRef,
        );
      }
      const { loc, manifestPath } = target;
      ctx.logger.info(
        `Rolling back ${environment} of ${loc.url} (${manifestPath})`,
      );

      // The clone is made in a private folder outside the task workspace
      // and removed at the end: the scaffolder returns the workspace of a
      // dry run to the caller, and the clone is read with the server's Git
      // credentials.
      const result = await proposeRollback(
        {
          writer,
          environments: options.config.environments,
          registryFor: registry => registryFor(options.config, registry),
          remoteUrl: options.remoteUrl,
          maxHistory: options.maxHistory,
        },
        {
          loc,
          manifestPath,
          environment,
          model: target.model,
          registryName: target.registryName,
          reason,
          toVersion,
          rejectVersion,
          author: initiatorAuthor(ctx),
          ...(ctx.user?.ref ? { requestedBy: ctx.user.ref } : {}),
          rejectedBy: ctx.user?.ref ?? 'unknown',
          openedBy: openedBy('ml-gitops:rollback', ctx, target.entityRef),
          dryRun: ctx.isDryRun,
        },
        ctx,
      );
      ctx.output('previousVersion', result.previousVersion);
      ctx.output('rolledBackFrom', result.rolledBackFrom);
      ctx.output('method', result.method);
      if (result.revertedCommit) {
        ctx.output('revertedCommit', result.revertedCommit);
      }
      ctx.output('branch', result.branch);
      if (result.pullRequest) {
        outputChangeRequest(ctx, result.pullRequest, environment);
      }
    },
  });
}
