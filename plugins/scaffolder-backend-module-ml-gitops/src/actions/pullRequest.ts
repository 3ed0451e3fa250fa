import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { checkBranchName } from './inputs';
import {
  ConfigRepoLocation,
  GithubConfigRepoWriter,
} from '@ml-gitops/plugin-ml-gitops-node';

/*
 * The Git side effects every action ends with: a branch, a pull request, its
 * label and reviewers. Each is one `ctx.checkpoint`, so a retried task does
 * not repeat what already happened, and each also finds its own earlier
 * result without the checkpoint (an existing branch or open pull request).
 */

/** What the steps need of the action context. */
type StepContext = Pick<
  ActionContext<any, any, any>,
  'logger' | 'checkpoint' | 'output'
>;

/** The action's part of the checkpoint keys: ml-gitops.<action>.<step>.… */
export type ActionName = 'deploy' | 'promote' | 'rollback' | 'seal';

export type PullRequestRef = { number: number; url: string };

function key(
  action: ActionName,
  step: string,
  loc: ConfigRepoLocation,
  id: string | number,
) {
  return `ml-gitops.${action}.${step}.${loc.owner}.${loc.repo}.${id}`;
}

/** A change proposed on a branch of the action's own, into `base`. */
export type BranchChange = {
  action: ActionName;
  loc: ConfigRepoLocation;
  branch: string;
  base: string;
};

/** Short id of the task, so branch names are unique per task and stable on retry. */
function taskSuffix(taskId: string): string {
  return taskId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'task';
}

/**
 * The change an action proposes into the environment branch `base`, on the
 * branch `ml-gitops/<action>-<base>-<detail>-<task>`; refuses a branch name
 * Git would refuse.
 */
export function branchChange(
  ctx: { task: { id: string } },
  action: ActionName,
  loc: ConfigRepoLocation,
  base: string,
  detail: string,
): BranchChange {
  const branch = `ml-gitops/${action}-${base}-${detail}-${taskSuffix(
    ctx.task.id,
  )}`;
  return { action, loc, branch: checkBranchName(branch), base };
}

/**
 * Proposes a change as a pull request from its own branch: creates the
 * branch at `write.from` (unless `write.fn` pushes it itself), runs
 * `write.fn` as the checkpointed step `write.step`, opens the labelled pull
 * request and sets the branch, pullRequestUrl and pullRequestNumber outputs.
 */
export async function proposeOnBranch(
  ctx: StepContext,
  writer: GithubConfigRepoWriter,
  change: BranchChange,
  pullRequest: { title: string; body: string; label: string },
  write: { from?: string; step: string; fn: () => Promise<void> },
): Promise<PullRequestRef> {
  const { action, loc, branch } = change;
  if (write.from) {
    const from = write.from;
    await ctx.checkpoint({
      key: key(action, 'branch', loc, branch),
      fn: async () => {
        const result = await writer.createBranch(loc, branch, from);
        ctx.logger.info(
          result.created
            ? `Created branch ${branch}`
            : `Branch ${branch} already exists; reusing it`,
        );
        return result.sha;
      },
    });
  }
  await ctx.checkpoint({
    key: key(action, write.step, loc, branch),
    fn: write.fn,
  });
  const pull = await openPullRequestSteps(ctx, writer, {
    action,
    loc,
    head: branch,
    base: change.base,
    ...pullRequest,
  });
  ctx.output('branch', branch);
  return pull;
}

/**
 * Opens the pull request `head` → `base` (or finds the open one), labels it
 * and requests the reviewers, then sets the pullRequestUrl and
 * pullRequestNumber outputs.
 */
export async function openPullRequestSteps(
  ctx: StepContext,
  writer: GithubConfigRepoWriter,
  change: {
    action: ActionName;
    loc: ConfigRepoLocation;
    /** Identifies the pull request in its checkpoint key; default the head branch. */
    id?: string;
    head: string;
    base: string;
    title: string;
    body: string;
    label: string;
    reviewers?: string[];
  },
): Promise<PullRequestRef> {
  const { action, loc } = change;
  const pull = await ctx.checkpoint({
    key: key(action, 'pr', loc, change.id ?? change.head),
    fn: async () => {
      const opened = await writer.openPullRequest(loc, {
        head: change.head,
        base: change.base,
        title: change.title,
        body: change.body,
      });
      ctx.logger.info(
        `${opened.created ? 'Opened' : 'Found open'} pull request #${
          opened.number
        }: ${opened.url}`,
      );
      return { number: opened.number, url: opened.url };
    },
  });
  await ctx.checkpoint({
    key: key(action, 'label', loc, pull.number),
    fn: async () => {
      await writer.addLabels(loc, pull.number, [change.label]);
    },
  });
  const reviewers = change.reviewers ?? [];
  if (reviewers.length > 0) {
    await ctx.checkpoint({
      key: key(action, 'reviewers', loc, pull.number),
      fn: async () => {
        const result = await writer.requestReviewers(
          loc,
          pull.number,
          reviewers,
        );
        if (result.requested.length > 0) {
          ctx.logger.info(
            `Requested reviews from ${result.requested.join(', ')}`,
          );
        }
        for (const { reviewer, reason } of result.refused) {
          // The pull request stands; only this review request was refused.
          ctx.logger.warn(
            `GitHub did not request a review from ${reviewer}: ${reason}`,
          );
        }
      },
    });
  }
  ctx.output('pullRequestUrl', pull.url);
  ctx.output('pullRequestNumber', pull.number);
  return pull;
}

/** The last line of every pull request body: which action opened it, for whom. */
export function openedBy(
  action: string,
  ctx: { user?: { ref?: string } },
  entityRef?: string,
): string {
  return `_Opened by the ${action} action${
    ctx.user?.ref ? ` for ${ctx.user.ref}` : ''
  }${entityRef ? ` (${entityRef})` : ''}._`;
}
