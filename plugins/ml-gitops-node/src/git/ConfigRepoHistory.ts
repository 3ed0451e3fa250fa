import {
  Deployment,
  DeploymentKind,
  ModelManifest,
  parseModelManifest,
  PullRequestInfo,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  CommitInfo,
  ConfigRepoLocation,
  GithubConfigRepoClient,
  PullRequestFacts,
} from './GithubConfigRepoClient';
import {
  CHANGE_LABELS,
  changeKindOfMessage,
  isRevertMessage,
  parseChangeBranch,
  parseChangeRecord,
} from './changes';

/** The commit that set the version an environment's branch declares now. */
export type DeclaringCommit = {
  commit: string;
  author: string;
  committedAt: string;
  pullRequest?: PullRequestInfo;
};

/** What one environment's branch declares, as remembered between cycles. */
export type EnvironmentDeclaration = {
  environment: string;
  /** Head commit of the branch. */
  head: string;
  /** When the head commit reached the branch. */
  headCommittedAt: string;
  /** `model_version` at the head, or null when the manifest is broken or absent. */
  version: string | null;
  /** The parsed manifest at the head (for gates), when valid. */
  manifest?: ModelManifest;
  /** Why `version` is null. */
  manifestProblem?: string;
  declaring: DeclaringCommit;
};

/** Remembers the last declaration of each environment (survives restarts). */
export interface DeclarationMemory {
  get(key: string): Promise<EnvironmentDeclaration | undefined>;
  set(key: string, value: EnvironmentDeclaration): Promise<void>;
}

/**
 * Turns an environment branch's first-parent history into deployments: every
 * commit that changed `model_version` is one, classified as a deploy, a
 * promotion (merged from another environment's branch) or a rollback (a
 * revert). Only commits after the last one seen are read, so an unchanged
 * branch costs nothing and a moved one costs a few requests.
 */
export class ConfigRepoHistory {
  constructor(
    private readonly client: GithubConfigRepoClient,
    private readonly memory: DeclarationMemory,
    private readonly options: {
      environments: string[];
      /** How far back the first read of a branch goes. */
      maxBackfill: number;
    },
  ) {}

  private memoryKey(loc: ConfigRepoLocation, path: string, env: string) {
    return `git:declaration:${loc.host}/${loc.owner}/${loc.repo}:${path}:${env}`;
  }

  /** `model_version` at a commit; null when the manifest is absent or invalid. */
  async versionAt(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<{
    version: string | null;
    manifest?: ModelManifest;
    problem?: string;
  }> {
    const text = await this.client.getFile(loc, path, sha);
    if (text === null) {
      return {
        version: null,
        problem: `${path} does not exist at ${sha.slice(0, 7)}`,
      };
    }
    const parsed = parseModelManifest(text, { path });
    if (!parsed.ok) {
      const first = parsed.problems[0];
      return {
        version: null,
        problem: `${path} at ${sha.slice(0, 7)} is invalid: ${
          first.message
        } (line ${first.line})${
          parsed.problems.length > 1
            ? ` and ${parsed.problems.length - 1} more problem(s)`
            : ''
        }`,
      };
    }
    return {
      version: parsed.manifest.model_version,
      manifest: parsed.manifest,
    };
  }

  /**
   * Deploy, promotion or rollback. What the actions wrote decides first: the
   * PR's `ml-gitops/rollback` or `ml-gitops/promotion` label, or its
   * `ml-gitops/<kind>/<environment>/…` branch. Changes made by hand are read
   * as people make them: a revert (the commit, or for a merged PR its head
   * commit or title) is a rollback, and a merge of another environment's
   * branch is a promotion.
   */
  private async classify(
    loc: ConfigRepoLocation,
    commit: CommitInfo,
    environment: string,
    pull: PullRequestFacts | undefined,
  ): Promise<DeploymentKind> {
    const environments = this.options.environments;
    const labelled = (kind: 'rollback' | 'promote') =>
      Boolean(
        pull &&
          (pull.labels.includes(CHANGE_LABELS[kind]) ||
            parseChangeBranch(pull.headRef, environments)?.kind === kind),
      );
    const said = changeKindOfMessage(commit.message, environments, environment);
    if (said === 'rollback' || labelled('rollback')) {
      return 'rollback';
    }
    if (labelled('promote')) {
      return 'promotion';
    }
    if (pull && /^(revert|rollback|roll back)\b/i.test(pull.title)) {
      return 'rollback';
    }
    const others = environments.filter(e => e !== environment);
    if (pull && others.includes(pull.headRef)) {
      return 'promotion';
    }
    // Without the PR (e.g. a merge made with git), the merge message names
    // the branch.
    if (said === 'promote') {
      return 'promotion';
    }
    if (commit.parents.length > 1) {
      const head = await this.client.getCommit(loc, commit.parents[1]);
      if (isRevertMessage(head.message)) {
        return 'rollback';
      }
    }
    return 'deploy';
  }

  /**
   * Who made a deployment: the person who opened its PR. A PR that an app
   * opened for someone (the actions run as a GitHub App) names that person
   * as the author of its head commit; without a PR, the commit's author.
   */
  private async authorOf(
    loc: ConfigRepoLocation,
    commit: CommitInfo,
    pull: PullRequestFacts | undefined,
  ): Promise<string> {
    if (!pull?.author) return commit.author;
    if (!pull.authorIsBot) return pull.author;
    if (pull.headSha) {
      try {
        return (await this.client.getCommit(loc, pull.headSha)).author;
      } catch {
        // The head commit is gone (e.g. a deleted fork); the record may say.
      }
    }
    return parseChangeRecord(pull.body)?.requestedBy ?? pull.author;
  }

  /**
   * Reads what the branch of `environment` declares at `head`, and the
   * deployments since the last read (oldest first).
   */
  async read(options: {
    loc: ConfigRepoLocation;
    manifestPath: string;
    environment: string;
    head: string;
  }): Promise<{
    declaration: EnvironmentDeclaration;
    deployments: Deployment[];
    /** The branch moved since the last read (false on the first read). */
    headMoved: boolean;
  }> {
    const { loc, manifestPath: path, environment, head } = options;
    const key = this.memoryKey(loc, path, environment);
    const previous = await this.memory.get(key);
    if (previous && previous.head === head) {
      return { declaration: previous, deployments: [], headMoved: false };
    }

    // Walk the first-parent chain from the new head back to the last head seen.
    const chain: CommitInfo[] = [];
    let sha: string | undefined = head;
    while (
      sha &&
      sha !== previous?.head &&
      chain.length < this.options.maxBackfill
    ) {
      const commit = await this.client.getCommit(loc, sha);
      chain.push(commit);
      sha = commit.parents[0];
    }

    const deployments: Deployment[] = [];
    let declaring: DeclaringCommit | undefined;
    // Oldest first, so previousVersion chains naturally.
    for (const commit of [...chain].reverse()) {
      const parent = commit.parents[0];
      const [now, before] = await Promise.all([
        this.versionAt(loc, path, commit.sha),
        parent
          ? this.versionAt(loc, path, parent)
          : Promise.resolve({ version: null }),
      ]);
      if (!now.version || now.version === before.version) {
        continue;
      }
      const pull = await this.client.getMergedPullRequest(
        loc,
        commit.sha,
        environment,
      );
      const pullRequest: PullRequestInfo | undefined = pull && {
        number: pull.number,
        url: pull.url,
        ...(pull.mergedBy ? { mergedBy: pull.mergedBy } : {}),
        reviewers: pull.reviewers,
      };
      const kind = await this.classify(loc, commit, environment, pull);
      const author = await this.authorOf(loc, commit, pull);
      const record = parseChangeRecord(pull?.body);
      const reason =
        record && record.environment === environment
          ? record.reason
          : undefined;
      const deployment: Deployment = {
        environment,
        version: now.version,
        ...(before.version ? { previousVersion: before.version } : {}),
        commit: commit.sha,
        author,
        committedAt: pull?.mergedAt ?? commit.committedAt,
        kind,
        ...(reason ? { reason } : {}),
        ...(pullRequest ? { pullRequest } : {}),
      };
      deployments.push(deployment);
      declaring = {
        commit: commit.sha,
        author,
        committedAt: deployment.committedAt,
        ...(pullRequest ? { pullRequest } : {}),
      };
    }

    const atHead = await this.versionAt(loc, path, head);
    const headCommit = chain[0] ?? (await this.client.getCommit(loc, head));
    if (!declaring) {
      if (previous && previous.version === atHead.version) {
        declaring = previous.declaring;
      } else {
        // The version-setting commit is older than the backfill window:
        // the head commit is the best known declaration.
        declaring = {
          commit: headCommit.sha,
          author: headCommit.author,
          committedAt: headCommit.committedAt,
        };
      }
    }
    const declaration: EnvironmentDeclaration = {
      environment,
      head,
      headCommittedAt: headCommit.committedAt,
      version: atHead.version,
      ...(atHead.manifest ? { manifest: atHead.manifest } : {}),
      ...(atHead.problem ? { manifestProblem: atHead.problem } : {}),
      declaring,
    };
    await this.memory.set(key, declaration);
    return { declaration, deployments, headMoved: previous !== undefined };
  }
}
