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
import {
  branchNameProblem,
  CHANGE_LABELS,
  changeBranchName,
  ChangeKind,
  ChangeRecord,
  changeRecordBlock,
  DEFAULT_MANIFEST_PATH,
  parseChangeBranch,
} from '@ml-gitops/plugin-ml-gitops-common';
import { JsonValue } from '@backstage/types';
import { ConfigRepoLocation } from './configRepoTypes';
import type { GitHostWriter } from './GitHost';

/*
 * The Git side effects a change ends with: its pull request, label and
 * reviewers, and closing the open change it supersedes. The scaffolder
 * actions run these steps with their task context; the backend's automatic
 * rollback runs them with steps of its own.
 *
 * One change, one pull request: a change's branch is named after the model,
 * environment, kind and version (never the task or the run), so running the
 * same change again finds its branch and its open pull request and rewrites
 * the title and body from current facts.
 */

/**
 * What a change needs of whoever runs it: a logger, and a checkpoint that
 * runs each side effect once per task (a scaffolder task's `ctx.checkpoint`;
 * the backend runs the function directly, since every step is idempotent).
 *
 * @public
 */
export type ChangeSteps = {
  logger: { info(message: string): void; warn(message: string): void };
  checkpoint<T extends JsonValue | void>(opts: {
    key: string;
    fn: () => Promise<T> | T;
  }): Promise<T>;
};

/**
 * Steps without task checkpoints: each function runs when reached.
 *
 * @public
 */
export function directSteps(logger: ChangeSteps['logger']): ChangeSteps {
  return {
    logger,
    checkpoint: async ({ fn }) => fn(),
  };
}

/** @public */
export type PullRequestRef = { number: number; url: string };

/** Who a commit is made for. @public */
export type CommitAuthor = { name: string; email: string };

/**
 * A change proposed on its own branch into the environment branch `base`.
 *
 * @public
 */
export type BranchChange = {
  kind: ChangeKind;
  loc: ConfigRepoLocation;
  branch: string;
  base: string;
  /** The model segment of the branch, when the repo's manifest path is not the default. */
  model?: string;
};

function stepKey(
  kind: ChangeKind,
  step: string,
  loc: ConfigRepoLocation,
  id: string | number,
) {
  return `ml-gitops.${kind}.${step}.${loc.owner}.${loc.repo}.${id}`;
}

/**
 * The change `kind` to `environment` of the model at `manifestPath`, on the
 * branch `ml-gitops/[<model>/]<kind>/<environment>[/<detail>]`; refuses a
 * branch name Git would refuse.
 *
 * @public
 */
export function branchChange(
  kind: ChangeKind,
  loc: ConfigRepoLocation,
  target: { manifestPath: string; model: string },
  environment: string,
  detail?: string,
): BranchChange {
  const model =
    target.manifestPath === DEFAULT_MANIFEST_PATH ? undefined : target.model;
  const branch = changeBranchName({ kind, environment, model, detail });
  const problem = branchNameProblem(branch);
  if (problem) {
    throw new InputError(
      `The branch name ${JSON.stringify(
        branch,
      )} that this input leads to is not valid in Git: it ${problem}`,
    );
  }
  return {
    kind,
    loc,
    branch,
    base: environment,
    ...(model ? { model } : {}),
  };
}

/**
 * The open pull requests into `change.base` that are changes of the same
 * kind, environment and model as `change` (whatever their version).
 *
 * @public
 */
export async function openPullRequestsOfKind(
  writer: GitHostWriter,
  change: Pick<BranchChange, 'kind' | 'loc' | 'base' | 'model'>,
  environments: readonly string[],
): Promise<Array<{ number: number; url: string; head: string }>> {
  const open = await writer.listOpenPullRequests(change.loc, change.base);
  return open.filter(other => {
    const parsed = parseChangeBranch(other.head, environments);
    return (
      parsed?.kind === change.kind &&
      parsed.environment === change.base &&
      parsed.model === change.model
    );
  });
}

/**
 * Opens the pull request of a change (or finds its open one and rewrites
 * the title and body from current facts), labels it, requests the
 * reviewers, and closes the open pull requests of the same kind into the
 * same environment that it supersedes.
 *
 * @public
 */
export async function openChangePullRequest(
  steps: ChangeSteps,
  writer: GitHostWriter,
  change: BranchChange,
  pullRequest: {
    title: string;
    body: string;
    record: ChangeRecord;
    reviewers?: string[];
    /** The environments, to recognise the branches of other changes. */
    environments: readonly string[];
  },
): Promise<PullRequestRef> {
  const { kind, loc, branch, base } = change;
  const { logger } = steps;
  const body = `${pullRequest.body}\n\n${changeRecordBlock(
    pullRequest.record,
  )}`;
  const pull = await steps.checkpoint({
    key: stepKey(kind, 'pr', loc, branch),
    fn: async () => {
      const opened = await writer.openPullRequest(loc, {
        head: branch,
        base,
        title: pullRequest.title,
        body,
      });
      if (opened.created) {
        logger.info(`Opened pull request #${opened.number}: ${opened.url}`);
      } else {
        await writer.updatePullRequest(loc, opened.number, {
          title: pullRequest.title,
          body,
        });
        logger.info(
          `Pull request #${opened.number} is already open for this change; rewrote its title and description from current facts: ${opened.url}`,
        );
      }
      return { number: opened.number, url: opened.url };
    },
  });
  await steps.checkpoint({
    key: stepKey(kind, 'label', loc, pull.number),
    fn: async () => {
      await writer.addLabels(loc, pull.number, [CHANGE_LABELS[kind]]);
    },
  });
  const reviewers = pullRequest.reviewers ?? [];
  if (reviewers.length > 0) {
    await steps.checkpoint({
      key: stepKey(kind, 'reviewers', loc, pull.number),
      fn: async () => {
        const result = await writer.requestReviewers(
          loc,
          pull.number,
          reviewers,
        );
        if (result.requested.length > 0) {
          logger.info(`Requested reviews from ${result.requested.join(', ')}`);
        }
        for (const { reviewer, reason } of result.refused) {
          // The pull request stands; only this review request was refused.
          logger.warn(
            `${loc.host} did not request a review from ${reviewer}: ${reason}`,
          );
        }
      },
    });
  }
  await steps.checkpoint({
    key: stepKey(kind, 'supersede', loc, pull.number),
    fn: async () => {
      const open = await openPullRequestsOfKind(
        writer,
        change,
        pullRequest.environments,
      );
      for (const other of open) {
        if (other.number === pull.number || other.head === branch) continue;
        await writer.closePullRequest(
          loc,
          other.number,
          `Superseded by #${pull.number} (${pull.url}): ${pullRequest.title}. Closed by ML GitOps, which keeps one open ${kind} pull request per environment.`,
        );
        logger.info(
          `Closed pull request #${other.number} (${other.head}), superseded by #${pull.number}`,
        );
      }
    },
  });
  return pull;
}
