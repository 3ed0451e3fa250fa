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
  activeFreeze,
  CHANGE_LABELS,
  ManifestFreeze,
  markdownText,
  mlGitopsEnvironmentFreezePermission,
  setManifestFreeze,
} from '@ml-gitops/plugin-ml-gitops-common';
import type { ChangeRecord } from '@ml-gitops/plugin-ml-gitops-node';
import { examples, unfreezeExamples } from './freeze.examples';
import { checkNonEmptyText, checkText, checkEnvironmentInput } from './inputs';
import { pullRequestOutput, environmentChangeInput } from './inputFields';
import { branchChange, openedBy, proposeManifestChange } from './pullRequest';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { readBranchManifest } from './branchManifest';
import { resolveTarget } from './modelTarget';

/** An ISO 8601 time with a zone, in the future. */
function checkUntil(value: unknown, now: Date): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = checkText(value, 'until', 64);
  const at = Date.parse(text);
  if (
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(
      text,
    ) ||
    Number.isNaN(at)
  ) {
    throw new InputError(
      `until ${JSON.stringify(
        text,
      )} is not an ISO 8601 time with a zone, such as 2026-12-24T00:00:00Z`,
    );
  }
  if (at <= now.getTime()) {
    throw new InputError(
      `until ${text} is in the past; a freeze that ended freezes nothing. Give a later time, or leave until out to freeze until someone unfreezes`,
    );
  }
  return new Date(at).toISOString().replace('.000Z', 'Z');
}

/**
 * The Git clients of a freeze or unfreeze, and its first steps: the model
 * and the right to freeze its environments, and the environment's manifest.
 */
function freezeSteps(options: MlGitopsActionOptions) {
  const { reader, writer } = createGitClients(options);
  const freezeTarget = async (
    ctx: Parameters<typeof resolveTarget>[0],
    input: Parameters<typeof resolveTarget>[3],
    environment: string,
    what: string,
  ) => {
    const target = await resolveTarget(ctx, options, reader, input, {
      permission: mlGitopsEnvironmentFreezePermission,
      what,
    });
    const current = await readBranchManifest(writer, target, environment);
    return {
      target,
      current,
      model: target.model ?? current.manifest.model_name,
    };
  };
  /**
   * Opens the pull request of a freeze or unfreeze: one commit on a branch
   * of its own that writes `freeze` into the environment's manifest, or
   * removes it when `freeze` is undefined.
   */
  const proposeFreeze = async (
    ctx: Parameters<typeof proposeManifestChange>[0] &
      Parameters<typeof openedBy>[1],
    { target, current, model }: Awaited<ReturnType<typeof freezeTarget>>,
    environment: string,
    pr: {
      kind: 'freeze' | 'unfreeze';
      freeze: ManifestFreeze | undefined;
      /** What the dry run would do on the branch, e.g. "commit the freeze". */
      dryRun: string;
      title: string;
      message: string;
      /** The body's paragraphs before the line naming the action. */
      body: string[];
      record: ChangeRecord;
    },
  ) => {
    const { loc, manifestPath } = target;
    const change = branchChange(
      pr.kind,
      loc,
      { manifestPath, model },
      environment,
    );
    const body = [
      ...pr.body,
      '',
      openedBy(`ml-gitops:environment:${pr.kind}`, ctx, target.entityRef),
    ].join('\n');
    await proposeManifestChange(ctx, writer, change, {
      dryRun: `${pr.dryRun} on ${change.branch} and open "${pr.title}"`,
      baseHead: current.head,
      manifestPath,
      edit: text => setManifestFreeze(text, pr.freeze),
      message: pr.message,
      title: pr.title,
      body,
      record: pr.record,
      environments: options.config.environments,
    });
  };
  return { freezeTarget, proposeFreeze };
}

/**
 * `ml-gitops:environment:freeze`: opens a pull request that writes
 * `freeze: { reason, until? }` into an environment's manifest. While it is
 * merged, `ml-gitops validate` fails every pull request to that environment
 * that changes the version unless it is a rollback, and deploy and promote
 * refuse.
 *
 * @public
 */
export function createFreezeAction(options: MlGitopsActionOptions) {
  const { freezeTarget, proposeFreeze } = freezeSteps(options);
  return createTemplateAction({
    id: 'ml-gitops:environment:freeze',
    description:
      "Opens a pull request that freezes an environment: freeze: { reason, until } in its manifest. While merged, only rollbacks change the environment's version.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...environmentChangeInput(
          options.config.environments,
          'The environment (branch) to freeze',
        ),
        reason: z =>
          z
            .string()
            .max(500)
            .describe(
              'Why the environment is frozen; shown on the ML GitOps tab and in every refusal',
            ),
        until: z =>
          z
            .string()
            .describe(
              'When the freeze ends by itself (ISO 8601 with a zone, e.g. 2026-12-27T08:00:00Z); leave out to freeze until unfrozen by pull request',
            )
            .optional(),
      },
      output: pullRequestOutput('The branch holding the freeze'),
    },
    async handler(ctx) {
      const { input } = ctx;
      const environment = checkEnvironmentInput(options.config, input);
      const reason = checkNonEmptyText(input.reason, 'reason', 500);
      const until = checkUntil(input.until, new Date());
      const step = await freezeTarget(
        ctx,
        input,
        environment,
        'freeze environments of',
      );
      const { current, model } = step;
      const { manifestPath } = step.target;
      const freeze = { reason, ...(until ? { until } : {}) };
      const edited = setManifestFreeze(current.text, freeze);
      if (edited === current.text) {
        throw new InputError(
          `${environment} is already frozen with this reason${
            until ? ' and end' : ''
          }; nothing to change`,
        );
      }
      const title = `Freeze ${model} in ${environment}${
        until ? ` until ${until}` : ''
      }`;
      await proposeFreeze(ctx, step, environment, {
        kind: 'freeze',
        freeze,
        dryRun: 'commit the freeze',
        title,
        message: `${title}\n\nReason: ${reason}`,
        body: [
          `Freezes **${environment}** of **${model}**${
            until ? ` until ${until}` : ' until a pull request unfreezes it'
          }.`,
          '',
          `**Reason:** ${markdownText(reason)}`,
          '',
          `Writes \`freeze:\` in \`${manifestPath}\`. Once merged, the pull request check fails every change of \`model_version\` to ${environment} except a rollback (a pull request labelled \`${CHANGE_LABELS.rollback}\`), and the deploy and promote actions refuse.`,
        ],
        record: { kind: 'freeze', environment, reason },
      });
    },
  });
}

/**
 * `ml-gitops:environment:unfreeze`: opens a pull request that removes
 * `freeze:` from an environment's manifest.
 *
 * @public
 */
export function createUnfreezeAction(options: MlGitopsActionOptions) {
  const { freezeTarget, proposeFreeze } = freezeSteps(options);
  return createTemplateAction({
    id: 'ml-gitops:environment:unfreeze',
    description:
      "Opens a pull request that removes the freeze from an environment's manifest, so deploys and promotions to it pass again.",
    examples: unfreezeExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...environmentChangeInput(
          options.config.environments,
          'The environment (branch) to unfreeze',
        ),
      },
      output: pullRequestOutput('The branch holding the unfreeze'),
    },
    async handler(ctx) {
      const { input } = ctx;
      const environment = checkEnvironmentInput(options.config, input);
      const step = await freezeTarget(
        ctx,
        input,
        environment,
        'unfreeze environments of',
      );
      const { current, model } = step;
      const { manifestPath } = step.target;
      if (!current.manifest.freeze) {
        throw new InputError(
          `${environment} of ${model} is not frozen: ${manifestPath} has no freeze`,
        );
      }
      const was = current.manifest.freeze;
      const stillActive = activeFreeze(current.manifest) !== undefined;
      const title = `Unfreeze ${model} in ${environment}`;
      await proposeFreeze(ctx, step, environment, {
        kind: 'unfreeze',
        freeze: undefined,
        dryRun: 'remove the freeze',
        title,
        message: title,
        body: [
          `Removes the freeze of **${environment}** of **${model}**${
            stillActive ? '' : ` (it ended ${was.until})`
          }.`,
          '',
          `It was frozen because: ${markdownText(was.reason)}`,
          '',
          'Once merged, deploys and promotions to this environment pass the pull request check again.',
        ],
        record: { kind: 'unfreeze', environment },
      });
    },
  });
}
