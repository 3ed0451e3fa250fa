import { InputError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import {
  CHANGE_LABELS,
  changeBranchName,
  ChangeKind,
  ChangeRecord,
  changeRecordBlock,
  ConfigRepoLocation,
  GithubConfigRepoWriter,
  markdownText,
  parseChangeBranch,
} from '@ml-gitops/plugin-ml-gitops-node';
import { DEFAULT_MANIFEST_PATH } from '@ml-gitops/plugin-ml-gitops-common';
import { checkBranchName } from './inputs';

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

export type PullRequestRef = { number: number; url: string };

function key(
  kind: ChangeKind,
  step: string,
  loc: ConfigRepoLocation,
  id: string | number,
) {
  return `ml-gitops.${kind}.${step}.${loc.owner}.${loc.repo}.${id}`;
}

/** A change proposed on its own branch into the environment branch `base`. */
export type BranchChange = {
  kind: ChangeKind;
  loc: ConfigRepoLocation;
  branch: string;
  base: string;
  /** The model segment of the branch, when the repo's manifest path is not the default. */
  model?: string;
};

/**
 * The change `kind` to `environment` of the model at `manifestPath`, on the
 * branch `ml-gitops/[<model>/]<kind>/<environment>[/<detail>]`; refuses a
 * branch name Git would refuse.
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
  return {
    kind,
    loc,
    branch: checkBranchName(branch),
    base: environment,
    ...(model ? { model } : {}),
  };
}

/** Who a commit is made for: the person who started the task. */
export type CommitAuthor = { name: string; email: string };

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
  writer: GithubConfigRepoWriter,
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
 * Opens the pull request of a change (or finds its open one and rewrites
 * the title and body from current facts), labels it, requests the
 * reviewers, closes the open pull requests of the same kind into the same
 * environment that it supersedes, and sets the branch, pullRequestUrl and
 * pullRequestNumber outputs.
 */
export async function openChangePullRequest(
  ctx: StepContext,
  writer: GithubConfigRepoWriter,
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
  const body = `${pullRequest.body}\n\n${changeRecordBlock(
    pullRequest.record,
  )}`;
  const pull = await ctx.checkpoint({
    key: key(kind, 'pr', loc, branch),
    fn: async () => {
      const opened = await writer.openPullRequest(loc, {
        head: branch,
        base,
        title: pullRequest.title,
        body,
      });
      if (opened.created) {
        ctx.logger.info(`Opened pull request #${opened.number}: ${opened.url}`);
      } else {
        await writer.updatePullRequest(loc, opened.number, {
          title: pullRequest.title,
          body,
        });
        ctx.logger.info(
          `Pull request #${opened.number} is already open for this change; rewrote its title and description from current facts: ${opened.url}`,
        );
      }
      return { number: opened.number, url: opened.url };
    },
  });
  await ctx.checkpoint({
    key: key(kind, 'label', loc, pull.number),
    fn: async () => {
      await writer.addLabels(loc, pull.number, [CHANGE_LABELS[kind]]);
    },
  });
  const reviewers = pullRequest.reviewers ?? [];
  if (reviewers.length > 0) {
    await ctx.checkpoint({
      key: key(kind, 'reviewers', loc, pull.number),
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
  await ctx.checkpoint({
    key: key(kind, 'supersede', loc, pull.number),
    fn: async () => {
      const open = await writer.listOpenPullRequests(loc, base);
      for (const other of open) {
        if (other.number === pull.number || other.head === branch) continue;
        const parsed = parseChangeBranch(other.head, pullRequest.environments);
        if (
          parsed?.kind !== kind ||
          parsed.environment !== base ||
          parsed.model !== change.model
        ) {
          continue;
        }
        await writer.closePullRequest(
          loc,
          other.number,
          `Superseded by #${pull.number} (${pull.url}): ${pullRequest.title}. Closed by ML GitOps, which keeps one open ${kind} pull request per environment.`,
        );
        ctx.logger.info(
          `Closed pull request #${other.number} (${other.head}), superseded by #${pull.number}`,
        );
      }
    },
  });
  ctx.output('branch', branch);
  ctx.output('pullRequestUrl', pull.url);
  ctx.output('pullRequestNumber', pull.number);
  return pull;
}

/**
 * The whole of a change to the manifest: one commit on the change's branch
 * that applies `edit` to the manifest at the environment's head, then its
 * pull request (see {@link writeOneCommitBranch} and
 * {@link openChangePullRequest}). The commit is made for the person who
 * started the task.
 */
export async function proposeManifestChange(
  ctx: StepContext & Parameters<typeof initiatorAuthor>[0],
  writer: GithubConfigRepoWriter,
  change: BranchChange,
  proposal: {
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
): Promise<PullRequestRef> {
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
