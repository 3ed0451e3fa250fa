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
  mlGitopsVersionRejectPermission,
  mlGitopsVersionUnrejectPermission,
} from '@ml-gitops/plugin-ml-gitops-common';
import { rejectExamples, unrejectExamples } from './versionRejection.examples';
import { checkNonEmptyText, checkVersion } from './inputs';
import { versionField, manifestTargetInput } from './inputFields';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { readBranchManifest } from './branchManifest';
import { ModelTarget, resolveTarget } from './modelTarget';
import { registryFor } from './registryChecks';
import type { GitHostWriter } from '@ml-gitops/plugin-ml-gitops-node';

/** The registry client of a model and the version, or a clear refusal. */
async function registryVersion(
  options: MlGitopsActionOptions,
  writer: GitHostWriter,
  target: ModelTarget,
  version: string,
) {
  // The manifest of the first environment names the registry and model.
  const current = await readBranchManifest(
    writer,
    target,
    options.config.environments[0],
  );
  const model = target.model ?? current.manifest.model_name;
  const registry = registryFor(options.config, {
    registryName: target.registryName,
    manifest: current.manifest,
  });
  if (!registry.client) {
    throw new InputError(`Cannot reach the registry: ${registry.problem}`);
  }
  const found = await registry.client.getVersion(model, version);
  if (!found) {
    throw new InputError(
      `${model} version ${version} does not exist in the registry ${registry.name}`,
    );
  }
  return { model, registry, client: registry.client, found };
}

/**
 * `ml-gitops:version:reject`: marks a model version rejected in the
 * registry, with a reason, so deploys, promotions and the pull request
 * check refuse it. Rollbacks do this for the version they leave.
 *
 * @public
 */
export function createRejectVersionAction(options: MlGitopsActionOptions) {
  const { reader, writer } = createGitClients(options);
  return createTemplateAction({
    id: 'ml-gitops:version:reject',
    description:
      'Marks a model version rejected in the registry (validation_status=rejected with the reason, who and when: MLflow tags, Kubeflow custom properties), so it is not deployed or promoted.',
    examples: rejectExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...manifestTargetInput,
        version: versionField('The registry version id to reject'),
        reason: z =>
          z
            .string()
            .max(1000)
            .describe('Why; quoted whenever the version is refused'),
      },
      output: {
        rejectedVersion: z => z.string().describe('The version rejected'),
      },
    },
    async handler(ctx) {
      const version = checkVersion(ctx.input.version);
      const reason = checkNonEmptyText(ctx.input.reason, 'reason', 1000);
      const target = await resolveTarget(ctx, options, reader, ctx.input, {
        permission: mlGitopsVersionRejectPermission,
        what: 'reject versions of',
      });
      const { model, registry, client } = await registryVersion(
        options,
        writer,
        target,
        version,
      );
      ctx.output('rejectedVersion', version);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would mark ${model} version ${version} rejected in ${registry.name}`,
        );
        return;
      }
      await ctx.checkpoint({
        key: `ml-gitops.version.reject.${target.entityRef}.${version}`,
        fn: async () => {
          await client.rejectVersion(model, version, {
            reason,
            by: ctx.user?.ref ?? 'unknown',
            at: new Date().toISOString(),
          });
        },
      });
      ctx.logger.info(
        `Marked ${model} version ${version} rejected in the registry ${registry.name}: ${reason}`,
      );
    },
  });
}

/**
 * `ml-gitops:version:unreject`: clears a version's rejection in the
 * registry, so it may be deployed again. A right of its own
 * (`ml-gitops.version.unreject`).
 *
 * @public
 */
export function createUnrejectVersionAction(options: MlGitopsActionOptions) {
  const { reader, writer } = createGitClients(options);
  return createTemplateAction({
    id: 'ml-gitops:version:unreject',
    description:
      "Clears a model version's rejection in the registry (the validation_status and ml-gitops.rejected_* tags or Kubeflow custom properties), so it may be deployed again.",
    examples: unrejectExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...manifestTargetInput,
        version: versionField('The registry version id to un-reject'),
      },
      output: {
        previousReason: z =>
          z
            .string()
            .describe('The reason the version had been rejected for')
            .optional(),
      },
    },
    async handler(ctx) {
      const version = checkVersion(ctx.input.version);
      const target = await resolveTarget(ctx, options, reader, ctx.input, {
        permission: mlGitopsVersionUnrejectPermission,
        what: 'un-reject versions of',
      });
      const { model, registry, client, found } = await registryVersion(
        options,
        writer,
        target,
        version,
      );
      const rejection = found.rejection;
      if (!rejection) {
        throw new InputError(
          `${model} version ${version} is not rejected in the registry ${registry.name}; nothing to un-reject`,
        );
      }
      if (rejection.reason) ctx.output('previousReason', rejection.reason);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would clear the rejection of ${model} version ${version} in ${registry.name}`,
        );
        return;
      }
      await ctx.checkpoint({
        key: `ml-gitops.version.unreject.${target.entityRef}.${version}`,
        fn: async () => {
          await client.unrejectVersion(model, version);
        },
      });
      ctx.logger.info(
        `Cleared the rejection of ${model} version ${version} in ${
          registry.name
        }${rejection.reason ? ` (it was: ${rejection.reason})` : ''}`,
      );
    },
  });
}
