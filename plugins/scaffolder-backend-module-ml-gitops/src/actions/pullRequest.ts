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
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  BranchChange,
  ChangeKind,
  ChangeRecord,
  CommitAuthor,
  ConfigRepoLocation,
  GitHostWriter,
  markdownText,
  openChangePullRequest as openChangePullRequestSteps,
  PullRequestRef,
} from '@ml-gitops/plugin-ml-gitops-node';

export { branchChange } from '@ml-gitops/plugin-ml-gitops-node';
export type {
  BranchChange,
  CommitAuthor,
  PullRequestRef,
} from '@ml-gitops/plugin-ml-gitops-node';

/*
 * The Git side effects every action ends with: a branch, a pull request, its
 * label and reviewers, and closing the open change it supersedes.
 *
 * One change, one pull request: a change's branch is named after the model,
 * environment, kind and version (never the task), so running the same change
 * again finds its branch and its open pull request, rebuilds the branch on
 * the environment's current head when that moved on, and rewrites the title
 * and body from current facts. Each step is one `ctx.checkpoint`, so a
 * retried task does not repeat what already happened.
 */

/** What the steps need of the action context. */
type StepContext = Pick<
  ActionContext<any, any, any>,
  'logger' | 'checkpoint' | 'output'
>;

function key(
  kind: ChangeKind,
  step: string,
  loc: ConfigRepoLocation,
  id: string | number,
) {
  return `ml-gitops.${kind}.${step}.${loc.owner}.${loc.repo}.${id}`;
}

/**
 * Makes `change.branch` hold exactly one commit on top of `baseHead` that
 * writes `content` to `path`:
 * - a branch that already is that commit is reused as it is;
 * - a branch left behind by an earlier run (the environment moved on since,
 *   or it holds other content) is moved to a new such commit in one step,
 *   so its pull request always contains its base and changes only what this
 *   change means to change (and GitHub, which closes a pull request whose
 *   head ever equals its base, never sees that);
 * - two runs at once end with one such commit: the loser of the race finds
 *   the winner's commit and keeps it.
 */
export async function writeOneCommitBranch(
  ctx: StepContext,
  writer: GitHostWriter,
  change: BranchChange,
  commit: {
    baseHead: string;
    path: string;
    /** The new content; a function of the file at the base (undefined when absent). */
    content: (current: string | undefined) => string;
    /** Whether a file on the branch already is the change (default: equal text). */
    isDone?: (onBranch: string, wanted: string) => boolean;
    message: string;
    author?: CommitAuthor;
  },
): Promise<string> {
  const { loc, branch } = change;
  const { baseHead, path } = commit;
  return ctx.checkpoint({
    key: key(change.kind, 'commit', loc, `${branch}@${baseHead}`),
    fn: async () => {
      const atBase = await writer.getFile(loc, path, baseHead);
      const wanted = commit.content(atBase?.text);
      const done = commit.isDone ?? ((a: string, b: string) => a === b);
      const finished = async (head: string | undefined) => {
        if (!head || head === baseHead) return false;
        const parent = (await writer.getCommit(loc, head))?.parents[0];
        if (parent !== baseHead) return false;
        const onBranch = await writer.getFile(loc, path, head);
        return onBranch !== undefined && done(onBranch.text, wanted);
      };

      const head = await writer.getBranchHead(loc, branch);
      if (await finished(head)) {
        ctx.logger.info(
          `Branch ${branch} already holds this change on ${
            change.base
          }@${baseHead.slice(0, 7)}; reusing it`,
        );
        return head!;
      }
      const base = await writer.getCommit(loc, baseHead);
      if (!base) {
        throw new InputError(
          `${change.base}@${baseHead.slice(0, 7)} vanished from ${
            loc.url
          }; run the task again`,
        );
      }
      const sha = await writer.createCommit(loc, {
        parent: baseHead,
        parentTree: base.tree,
        files: { [path]: wanted },
        message: commit.message,
        ...(commit.author ? { author: commit.author } : {}),
      });
      if (head) {
        ctx.logger.info(
          `Branch ${branch} is from an earlier state of ${
            change.base
          }; moving it to ${sha.slice(0, 7)} on ${change.base}@${baseHead.slice(
            0,
            7,
          )}`,
        );
        await writer.resetBranch(loc, branch, sha);
        return sha;
      }
      const created = await writer.createBranch(loc, branch, sha);
      if (created.created) {
        ctx.logger.info(
          `Committed ${path} as ${sha.slice(0, 7)} on a new branch ${branch}`,
        );
        return sha;
      }
      // Another run of the same change created the branch first.
      if (await finished(created.sha)) {
        ctx.logger.info(
          `Another run committed this change to ${branch}; keeping its commit`,
        );
        return created.sha;
      }
      await writer.resetBranch(loc, branch, sha);
      return sha;
    },
  });
}

/**
 * Opens the pull request of a change (see the node library's
 * `openChangePullRequest`) and sets the branch and change request
 * outputs.
 */
export async function openChangePullRequest(
  ctx: StepContext,
  writer: GitHostWriter,
  change: BranchChange,
  pullRequest: Parameters<typeof openChangePullRequestSteps>[3],
): Promise<PullRequestRef> {
  const pull = await openChangePullRequestSteps(
    ctx,
    writer,
    change,
    pullRequest,
  );
  ctx.output('branch', change.branch);
  outputChangeRequest(ctx, pull, change.base);
  return pull;
}

/** The change request outputs of {@link pullRequestOutput}, on every host. */
export function outputChangeRequest(
  ctx: Pick<StepContext, 'output'>,
  pull: { url: string; number: number },
  targetBranch: string,
) {
  ctx.output('changeRequestUrl', pull.url);
  ctx.output('number', pull.number);
  ctx.output('targetBranchName', targetBranch);
  ctx.output('pullRequestUrl', pull.url);
  ctx.output('pullRequestNumber', pull.number);
}

/**
 * The whole of a change to the manifest: one commit on the change's branch
 * that applies `edit` to the manifest at the environment's head, then its
 * pull request (see {@link writeOneCommitBranch} and
 * {@link openChangePullRequest}). The commit is made for the person who
 * started the task. In a dry run it only says what it would do
 * (`Dry run: would <dryRun>`) and sets the branch output.
 */
export async function proposeManifestChange(
  ctx: StepContext &
    Parameters<typeof initiatorAuthor>[0] & { isDryRun?: boolean },
  writer: GitHostWriter,
  change: BranchChange,
  proposal: {
    /** What the change would do, for the dry run's log line. */
    dryRun: string;
    baseHead: string;
    manifestPath: string;
    edit: (text: string) => string;
    message: string;
    title: string;
    body: string;
    record: ChangeRecord;
    reviewers?: string[];
    environments: readonly string[];
  },
): Promise<PullRequestRef | undefined> {
  if (ctx.isDryRun) {
    ctx.logger.info(`Dry run: would ${proposal.dryRun}`);
    ctx.output('branch', change.branch);
    return undefined;
  }
  const { manifestPath, edit } = proposal;
  await writeOneCommitBranch(ctx, writer, change, {
    baseHead: proposal.baseHead,
    path: manifestPath,
    content: text => {
      if (text === undefined) {
        throw new InputError(
          `${manifestPath} vanished from ${change.base}; run the task again`,
        );
      }
      return edit(text);
    },
    message: proposal.message,
    author: initiatorAuthor(ctx),
  });
  const requestedBy = (ctx as { user?: { ref?: string } }).user?.ref;
  return openChangePullRequest(ctx, writer, change, {
    title: proposal.title,
    body: proposal.body,
    record: {
      ...proposal.record,
      ...(requestedBy ? { requestedBy } : {}),
    },
    reviewers: proposal.reviewers,
    environments: proposal.environments,
  });
}

/** The last line of every pull request body: which action opened it, for whom. */
export function openedBy(
  action: string,
  ctx: { user?: { ref?: string } },
  entityRef?: string,
): string {
  return `_Opened by the ${action} action${
    ctx.user?.ref ? ` for ${markdownText(ctx.user.ref)}` : ''
  }${entityRef ? ` (${markdownText(entityRef)})` : ''}._`;
}

/** The author of the commits a task makes: the person who started it. */
export function initiatorAuthor(ctx: {
  user?: {
    entity?: {
      metadata: { name: string };
      spec?: { profile?: { displayName?: string; email?: string } } & Record<
        string,
        unknown
      >;
    };
  };
}): CommitAuthor {
  const profile = ctx.user?.entity?.spec?.profile;
  return {
    name:
      profile?.displayName ?? ctx.user?.entity?.metadata.name ?? 'ML GitOps',
    email: profile?.email ?? 'ml-gitops@users.noreply.backstage.io',
  };
}
