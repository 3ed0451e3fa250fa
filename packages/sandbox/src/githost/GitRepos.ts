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

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git, gitRaw } from '../lib/git';
import { hookProtectionLines } from './protection';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

/**
 * Refuses ref updates on protected branches with GitHub's GH006 answer
 * (docs.github.com, "About protected branches" and "Troubleshooting required
 * status checks": "remote: error: GH006: Protected branch update failed for
 * refs/heads/main." then the reason). `sandbox-protection` has one line per
 * protected branch (protection.ts, hookProtectionLines): branch, force pushes
 * allowed, deletions allowed, and why a fast-forward is refused ('-' if it
 * is not). The sandbox user `admin` (basic auth) may push anyway, like an
 * admin when `enforce_admins` is off.
 */
const PRE_RECEIVE_HOOK = `#!/bin/sh
[ "$SANDBOX_PUSH_USER" = admin ] && exit 0
status=0
zero=0000000000000000000000000000000000000000
tab=$(printf '\\t')
while read old new ref; do
  branch=\${ref#refs/heads/}
  # Credentials without the workflows permission may not create or change
  # .github/workflows/* (GitHub's remote answer, docs.github.com
  # "Permissions required for GitHub Apps": Workflows).
  if [ -f "$GIT_DIR/sandbox-no-workflows-permission" ] && [ "$new" != "$zero" ]; then
    if [ "$old" = "$zero" ]; then
      changed=$(git ls-tree -r --name-only "$new")
    else
      changed=$(git diff --name-only "$old" "$new")
    fi
    for file in $(printf '%s\\n' "$changed" | grep '^\\.github/workflows/'); do
      echo "refusing to allow a GitHub App to create or update workflow \\\`$file\\\` without \\\`workflows\\\` permission" >&2
      status=1
    done
  fi
  [ -f "$GIT_DIR/sandbox-protection" ] || continue
  rule=$(awk -F "$tab" -v b="$branch" '$1 == b { print; exit }' "$GIT_DIR/sandbox-protection")
  [ -n "$rule" ] || continue
  [ "$old" = "$zero" ] && continue
  reason=
  if [ "$new" = "$zero" ]; then
    [ "$(printf '%s' "$rule" | cut -f3)" = 1 ] || reason="Cannot delete this protected branch"
  elif ! git merge-base --is-ancestor "$old" "$new"; then
    [ "$(printf '%s' "$rule" | cut -f2)" = 1 ] || reason="Cannot force-push to this protected branch"
  fi
  if [ -z "$reason" ] && [ "$new" != "$zero" ]; then
    reason=$(printf '%s' "$rule" | cut -f4)
    [ "$reason" = - ] && reason=
  fi
  if [ -n "$reason" ]; then
    echo "error: GH006: Protected branch update failed for $ref." >&2
    echo "error: $reason" >&2
    status=1
  fi
done
exit $status
`;

export type Signature = { name: string; email: string; date: string };

export type CommitInfo = {
  sha: string;
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
};

export type TreeEntry = {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
  path: string;
};

export type PullReview = {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  submitted_at: string;
  commit_id: string;
};

export type PullRecord = {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  user: string;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  merge_commit_sha: string | null;
  merged_by: string | null;
  reviews: PullReview[];
  requested_reviewers: string[];
  /** labels set through the issues API (POST /issues/:number/labels) */
  labels?: string[];
  /** comments made through the issues API (POST /issues/:number/comments) */
  comments?: Array<{
    id: number;
    user: string;
    body: string;
    created_at: string;
  }>;
  /** the commits a rebase merge wrote onto the base, oldest first */
  rebased_commits?: string[];
  draft: boolean;
};

export type StatusRecord = {
  id: number;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
  updated_at: string;
  /** the login of who created it (a user, or an app's bot account) */
  creator: string;
  /** the GitHub App whose token created it, null for a user's token */
  app_id?: number | null;
};

/**
 * A required check: its context and the app that must set it (null: any
 * source), as branch protection's `required_status_checks.checks`.
 */
export type RequiredCheck = { context: string; app_id: number | null };

export type BranchProtection = {
  required_status_checks: {
    strict: boolean;
    /** the legacy list of contexts */
    contexts: string[];
    /** the checks with their apps; when absent, `contexts` from any source */
    checks?: RequiredCheck[];
  } | null;
  required_pull_request_reviews: {
    required_approving_review_count: number;
    dismiss_stale_reviews: boolean;
    require_code_owner_reviews: boolean;
  } | null;
  enforce_admins: boolean;
  /** GitHub's default is false: force pushes are refused */
  allow_force_pushes?: boolean;
  /** GitHub's default is false: the branch cannot be deleted */
  allow_deletions?: boolean;
};

export type RepoRecord = {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  /** public unless created otherwise through the API */
  visibility?: 'public' | 'private' | 'internal';
  /**
   * Who has access (user logins, `org/team` slugs). Undefined for the
   * seeded repos, which every seeded user and team may use.
   */
  collaborators?: Set<string>;
  description: string | null;
  created_at: string;
  pushed_at: string;
  default_branch: string;
  pulls: PullRecord[];
  statuses: Record<string, StatusRecord[]>;
  protection: Record<string, BranchProtection>;
};

export type PushEvent = {
  repo: RepoRecord;
  ref: string;
  before: string;
  after: string;
  pusher: { name: string; email: string };
};

/**
 * The `pull_request` activities that start workflows by default
 * (docs.github.com, "Events that trigger workflows", pull_request: "By
 * default, a workflow only runs when a pull_request event's activity type is
 * opened, synchronize, or reopened").
 */
export type PullRequestEvent = {
  repo: RepoRecord;
  pull: PullRecord;
  action: 'opened' | 'synchronize' | 'reopened' | 'labeled' | 'unlabeled';
  /** The label added or removed, for labeled and unlabeled. */
  label?: string;
};

/** Serialises async work per key. */
class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.tails.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }
}

function parseSignature(text: string): Signature {
  const m = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(text);
  if (!m) {
    return { name: text, email: '', date: new Date(0).toISOString() };
  }
  return {
    name: m[1],
    email: m[2],
    date: new Date(Number(m[3]) * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

/**
 * Bare Git repositories on disk plus the data GitHub keeps next to them
 * (pull requests, commit statuses, branch protection).
 */
/** A full object name: what names one object for good. */
const FULL_SHA = /^[0-9a-f]{40}$/;

/** How many immutable reads {@link GitRepos} keeps (the oldest go first). */
const KEPT_OBJECT_READS = 20_000;

/** Blobs up to this size are kept (manifests, charts); larger ones are read each time. */
const KEPT_BLOB_BYTES = 256 * 1024;

export class GitRepos {
  private repos = new Map<string, RepoRecord>();
  /**
   * Reads of objects named by a full SHA, by repository: a commit, a tree
   * or a blob never changes once written, so what git answered once stands
   * (refs, which move, are always read from git). Saves a git process per
   * read of the same object: the API answers read the same commits, trees
   * and manifests again and again.
   */
  private objects = new Map<string, unknown>();
  private mutex = new KeyedMutex();
  private listeners: Array<(e: PushEvent) => void> = [];
  private pullListeners: Array<(e: PullRequestEvent) => void> = [];
  private nextId = 500000;

  /**
   * `preReceiveHook` replaces GitHub's (another host's refusals, e.g.
   * GitLab's protected branches); it reads `sandbox-protection` as written
   * by `writeProtectionLines`.
   */
  constructor(
    readonly root: string,
    private readonly options: { preReceiveHook?: string } = {},
  ) {}

  nextObjectId() {
    return ++this.nextId;
  }

  /** The GitHub-side data of every repo (to restore a copy of the repositories later). */
  snapshot(): { records: RepoRecord[]; nextId: number } {
    return { records: structuredClone(this.list()), nextId: this.nextId };
  }

  /** Loads data written by `snapshot()`; the bare repositories must already be in `root`. */
  restore(snapshot: { records: RepoRecord[]; nextId: number }) {
    this.repos.clear();
    this.objects.clear();
    for (const r of structuredClone(snapshot.records))
      this.repos.set(r.fullName.toLowerCase(), r);
    this.nextId = snapshot.nextId;
  }

  private workflowsPermission = true;

  /**
   * Whether pushes may create or change `.github/workflows/*` (a GitHub
   * App with or without the workflows permission); for every repo, also
   * those created later.
   */
  async setWorkflowsPermission(allowed: boolean) {
    this.workflowsPermission = allowed;
    await Promise.all(this.list().map(repo => this.syncWorkflowsMarker(repo)));
  }

  private async syncWorkflowsMarker(repo: RepoRecord | string) {
    const marker = path.join(this.dir(repo), 'sandbox-no-workflows-permission');
    if (this.workflowsPermission) {
      await fs.rm(marker, { force: true });
    } else {
      await fs.writeFile(marker, '');
    }
  }

  /**
   * Writes the branch protection where the pre-receive hook reads it, so
   * that pushes over smart HTTP are refused as GitHub refuses them.
   */
  async syncProtection(repo: RepoRecord) {
    await this.writeProtectionLines(repo, hookProtectionLines(repo));
  }

  /** Writes the lines the pre-receive hook reads its branch rules from. */
  async writeProtectionLines(repo: RepoRecord, lines: string) {
    await fs.writeFile(path.join(this.dir(repo), 'sandbox-protection'), lines);
  }

  onPush(listener: (e: PushEvent) => void) {
    this.listeners.push(listener);
  }

  /**
   * Emits a push; a push to the head branch of open pull requests moves
   * their head, as on GitHub, which is their `synchronize` activity.
   */
  emitPush(event: PushEvent) {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // listeners log their own failures
      }
    }
    const branch = event.ref.startsWith('refs/heads/')
      ? event.ref.slice('refs/heads/'.length)
      : undefined;
    if (!branch || event.after === ZERO_SHA) return;
    for (const pull of event.repo.pulls) {
      if (
        pull.state === 'open' &&
        pull.head.ref === branch &&
        pull.head.sha !== event.after
      ) {
        pull.head.sha = event.after;
        // "Dismiss stale pull request approvals when new commits are pushed"
        // (docs.github.com, "About protected branches")
        const reviews =
          event.repo.protection[pull.base.ref]?.required_pull_request_reviews;
        if (reviews?.dismiss_stale_reviews) {
          for (const review of pull.reviews) {
            if (review.state === 'APPROVED') review.state = 'DISMISSED';
          }
        }
        this.emitPullRequest({ repo: event.repo, pull, action: 'synchronize' });
      }
    }
  }

  onPullRequest(listener: (e: PullRequestEvent) => void) {
    this.pullListeners.push(listener);
  }

  emitPullRequest(event: PullRequestEvent) {
    for (const l of this.pullListeners) {
      try {
        l(event);
      } catch {
        // listeners log their own failures
      }
    }
  }

  dir(repo: RepoRecord | string) {
    const full = typeof repo === 'string' ? repo : repo.fullName;
    return path.join(this.root, `${full}.git`);
  }

  list(): RepoRecord[] {
    return [...this.repos.values()];
  }

  get(owner: string, name: string): RepoRecord | undefined {
    const clean = name.replace(/\.git$/, '');
    return this.repos.get(`${owner}/${clean}`.toLowerCase());
  }

  withLock<T>(repo: RepoRecord, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(repo.fullName, fn);
  }

  async create(
    owner: string,
    name: string,
    opts: {
      description?: string;
      defaultBranch?: string;
      createdAt?: string;
    } = {},
  ): Promise<RepoRecord> {
    const fullName = `${owner}/${name}`;
    const dir = this.dir(fullName);
    await fs.mkdir(dir, { recursive: true });
    const branch = opts.defaultBranch ?? 'main';
    await git(['init', '--bare', '--quiet', `--initial-branch=${branch}`], {
      cwd: dir,
    });
    await git(['config', 'http.receivepack', 'true'], { cwd: dir });
    await fs.writeFile(
      path.join(dir, 'hooks', 'pre-receive'),
      this.options.preReceiveHook ?? PRE_RECEIVE_HOOK,
      { mode: 0o755 },
    );
    await git(['config', 'receive.denyNonFastForwards', 'false'], { cwd: dir });
    const now = opts.createdAt ?? new Date().toISOString();
    const record: RepoRecord = {
      id: this.nextObjectId(),
      owner,
      name,
      fullName,
      description: opts.description ?? null,
      created_at: now,
      pushed_at: now,
      default_branch: branch,
      pulls: [],
      statuses: {},
      protection: {},
    };
    this.repos.set(fullName.toLowerCase(), record);
    await this.syncWorkflowsMarker(record);
    return record;
  }

  /**
   * What `read` answers about the object `sha` of `repo`, read once when
   * `sha` is a full object name (see {@link objects}).
   */
  private async immutable<T>(
    repo: RepoRecord,
    kind: string,
    sha: string,
    read: () => Promise<T>,
    keep: (value: T) => boolean = () => true,
  ): Promise<T> {
    if (!FULL_SHA.test(sha)) return read();
    const key = `${this.dir(repo)}\u0000${kind}\u0000${sha}`;
    if (this.objects.has(key)) return this.objects.get(key) as T;
    const value = await read();
    if (keep(value)) {
      this.objects.set(key, value);
      if (this.objects.size > KEPT_OBJECT_READS) {
        this.objects.delete(this.objects.keys().next().value!);
      }
    }
    return value;
  }

  private run(
    repo: RepoRecord,
    args: string[],
    env?: Record<string, string>,
    input?: string | Buffer,
  ) {
    return git(args, { cwd: this.dir(repo), env, input });
  }

  /** Resolves a branch, tag, full ref or (abbreviated) SHA to a commit SHA. */
  async resolveCommit(repo: RepoRecord, ref: string): Promise<string | null> {
    if (FULL_SHA.test(ref)) {
      // a commit's own name resolves to itself for good (one not there yet
      // may be pushed later)
      return this.immutable(
        repo,
        'resolve',
        ref,
        () => this.resolveByGit(repo, ref),
        resolved => resolved !== null,
      );
    }
    return this.resolveByGit(repo, ref);
  }

  private async resolveByGit(
    repo: RepoRecord,
    ref: string,
  ): Promise<string | null> {
    if (
      !ref ||
      ref.startsWith('-') ||
      /[\s~^:]/.test(ref.replace(/\^\{commit\}$/, ''))
    ) {
      return null;
    }
    try {
      const { stdout } = await gitRaw(
        ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`],
        {
          cwd: this.dir(repo),
          okCodes: [],
        },
      );
      return stdout.toString().trim() || null;
    } catch {
      return null;
    }
  }

  async refs(
    repo: RepoRecord,
    prefix = 'refs/',
  ): Promise<Array<{ ref: string; sha: string }>> {
    const out = await this.run(repo, [
      'for-each-ref',
      '--format=%(refname) %(objectname)',
      prefix,
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map(line => {
        const [ref, sha] = line.split(' ');
        return { ref, sha };
      });
  }

  async refSha(repo: RepoRecord, ref: string): Promise<string | null> {
    const all = await this.refs(repo, ref);
    return all.find(r => r.ref === ref)?.sha ?? null;
  }

  async objectType(repo: RepoRecord, sha: string): Promise<string | null> {
    if (!/^[0-9a-f]{4,40}$/.test(sha)) {
      return null;
    }
    return this.immutable(
      repo,
      'type',
      sha,
      async () => {
        try {
          return await this.run(repo, ['cat-file', '-t', sha]);
        } catch {
          return null;
        }
      },
      type => type !== null,
    );
  }

  async commit(repo: RepoRecord, sha: string): Promise<CommitInfo | null> {
    const full = await this.resolveCommit(repo, sha);
    if (!full) {
      return null;
    }
    const info = await this.immutable(repo, 'commit', full, () =>
      this.readCommit(repo, full),
    );
    // the caller's own copy
    return {
      ...info,
      parents: [...info.parents],
      author: { ...info.author },
      committer: { ...info.committer },
    };
  }

  private async readCommit(repo: RepoRecord, full: string) {
    const raw = await this.run(repo, ['cat-file', 'commit', full]);
    const split = raw.indexOf('\n\n');
    const header = split >= 0 ? raw.slice(0, split) : raw;
    const message = split >= 0 ? raw.slice(split + 2) : '';
    const info: CommitInfo = {
      sha: full,
      tree: '',
      parents: [],
      author: parseSignature(''),
      committer: parseSignature(''),
      message,
    };
    for (const line of header.split('\n')) {
      const sp = line.indexOf(' ');
      const key = line.slice(0, sp);
      const value = line.slice(sp + 1);
      if (key === 'tree') info.tree = value;
      else if (key === 'parent') info.parents.push(value);
      else if (key === 'author') info.author = parseSignature(value);
      else if (key === 'committer') info.committer = parseSignature(value);
    }
    return info;
  }

  /** The entry at `filePath` in the commit's tree, or null. Empty path = root tree. */
  async entryAt(
    repo: RepoRecord,
    commitSha: string,
    filePath: string,
  ): Promise<TreeEntry | null> {
    const clean = filePath.replace(/^\/+|\/+$/g, '');
    if (!clean) {
      const c = await this.commit(repo, commitSha);
      return c ? { mode: '040000', type: 'tree', sha: c.tree, path: '' } : null;
    }
    const entry = await this.immutable(
      repo,
      `entry\u0000${clean}`,
      commitSha,
      async () => {
        const out = await this.run(repo, [
          'ls-tree',
          '-l',
          '--full-tree',
          commitSha,
          '--',
          clean,
        ]);
        return parseLsTree(out).find(e => e.path === clean) ?? null;
      },
    );
    return entry && { ...entry };
  }

  async tree(
    repo: RepoRecord,
    treeish: string,
    recursive: boolean,
  ): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-l'];
    if (recursive) args.push('-r', '-t');
    args.push(treeish);
    const entries = await this.immutable(
      repo,
      recursive ? 'tree-r' : 'tree',
      treeish,
      async () => parseLsTree(await this.run(repo, args)),
    );
    return entries.map(e => ({ ...e }));
  }

  async blob(repo: RepoRecord, sha: string): Promise<Buffer> {
    const content = await this.immutable(
      repo,
      'blob',
      sha,
      async () =>
        (
          await gitRaw(['cat-file', 'blob', sha], {
            cwd: this.dir(repo),
          })
        ).stdout,
      read => read.length <= KEPT_BLOB_BYTES,
    );
    return Buffer.from(content);
  }

  async readFile(
    repo: RepoRecord,
    commitish: string,
    filePath: string,
  ): Promise<Buffer | null> {
    const entry = await this.entryAt(repo, commitish, filePath);
    if (!entry || entry.type !== 'blob') {
      return null;
    }
    return this.blob(repo, entry.sha);
  }

  async writeBlob(repo: RepoRecord, content: Buffer): Promise<string> {
    return this.run(repo, ['hash-object', '-w', '--stdin'], undefined, content);
  }

  /**
   * Writes a tree: `base` (tree or null) with entries replaced; an entry
   * whose sha is null is removed.
   */
  async writeTree(
    repo: RepoRecord,
    base: string | null,
    entries: Array<{ path: string; mode: string; sha: string | null }>,
  ): Promise<string> {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-index-'));
    const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
    try {
      if (base) {
        await this.run(repo, ['read-tree', base], env);
      } else {
        await this.run(repo, ['read-tree', '--empty'], env);
      }
      for (const e of entries) {
        if (e.sha === null) {
          await this.run(
            repo,
            ['update-index', '--force-remove', '--', e.path],
            env,
          );
        } else {
          await this.run(
            repo,
            [
              'update-index',
              '--add',
              '--cacheinfo',
              `${e.mode},${e.sha},${e.path}`,
            ],
            env,
          );
        }
      }
      return await this.run(repo, ['write-tree'], env);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  async commitTree(
    repo: RepoRecord,
    tree: string,
    parents: string[],
    message: string,
    author: Signature,
    committer: Signature = author,
  ): Promise<string> {
    const args = ['commit-tree', tree];
    for (const p of parents) args.push('-p', p);
    return this.run(
      repo,
      args,
      {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: author.date,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: committer.date,
      },
      message,
    );
  }

  /**
   * Moves a ref with compare-and-swap (`oldSha` null = must not exist) and
   * emits a push event. Returns false when the ref moved meanwhile.
   */
  async updateRef(
    repo: RepoRecord,
    ref: string,
    newSha: string,
    oldSha: string | null,
    pusher: { name: string; email: string },
  ): Promise<boolean> {
    try {
      await this.run(repo, ['update-ref', ref, newSha, oldSha ?? ZERO_SHA]);
    } catch {
      return false;
    }
    repo.pushed_at = new Date().toISOString();
    this.emitPush({
      repo,
      ref,
      before: oldSha ?? ZERO_SHA,
      after: newSha,
      pusher,
    });
    return true;
  }

  async deleteRef(
    repo: RepoRecord,
    ref: string,
    pusher: { name: string; email: string },
  ) {
    const old = await this.refSha(repo, ref);
    if (!old) return false;
    await this.run(repo, ['update-ref', '-d', ref, old]);
    this.emitPush({ repo, ref, before: old, after: ZERO_SHA, pusher });
    return true;
  }

  async isAncestor(
    repo: RepoRecord,
    ancestor: string,
    descendant: string,
  ): Promise<boolean> {
    const { code } = await gitRaw(
      ['merge-base', '--is-ancestor', ancestor, descendant],
      {
        cwd: this.dir(repo),
        okCodes: [1],
      },
    );
    return code === 0;
  }

  /**
   * The files a pull request changes: the diff from the merge base of
   * `base` and `head` to `head` (`git diff base...head`), renames as a
   * deletion and an addition.
   */
  async changedFiles(
    repo: RepoRecord,
    base: string,
    head: string,
  ): Promise<string[]> {
    const out = await this.run(repo, [
      'diff',
      '--name-only',
      '--no-renames',
      `${base}...${head}`,
    ]);
    return out.split('\n').filter(Boolean);
  }

  /** Three-way merge without a work tree: the merged tree, or null on conflicts. */
  async mergeTree(
    repo: RepoRecord,
    base: string,
    head: string,
  ): Promise<string | null> {
    const { stdout, code } = await gitRaw(
      ['merge-tree', '--write-tree', '--no-messages', base, head],
      {
        cwd: this.dir(repo),
        okCodes: [1],
      },
    );
    if (code === 1) return null;
    return stdout.toString().split('\n')[0].trim();
  }

  /** Commits reachable from `sha` (newest first), optionally touching `filePath`. */
  async log(
    repo: RepoRecord,
    sha: string,
    opts: {
      path?: string;
      max: number;
      skip: number;
      firstParent?: boolean;
      since?: string;
      until?: string;
    },
  ): Promise<string[]> {
    const args = [
      'log',
      '--format=%H',
      `--max-count=${opts.max}`,
      `--skip=${opts.skip}`,
    ];
    if (opts.firstParent) args.push('--first-parent');
    if (opts.since) args.push(`--since=${opts.since}`);
    if (opts.until) args.push(`--until=${opts.until}`);
    args.push(sha);
    if (opts.path) args.push('--', opts.path);
    const out = await this.run(repo, args);
    return out.split('\n').filter(Boolean);
  }

  /** Commits in `after` not in `before` (oldest first). */
  async newCommits(
    repo: RepoRecord,
    before: string | null,
    after: string,
    max = 20,
  ): Promise<string[]> {
    const args = ['rev-list', '--reverse', `--max-count=${max}`, after];
    if (before && before !== ZERO_SHA) args.push(`^${before}`);
    const out = await this.run(repo, args);
    return out.split('\n').filter(Boolean);
  }

  /** Files changed by a commit against its first parent: [status, path][] and line counts. */
  async changes(
    repo: RepoRecord,
    sha: string,
  ): Promise<
    Array<{
      status: string;
      path: string;
      additions: number;
      deletions: number;
    }>
  > {
    const info = await this.commit(repo, sha);
    if (!info) return [];
    const base = info.parents[0];
    const nameArgs = base
      ? ['diff-tree', '-r', '--no-commit-id', '--name-status', base, sha]
      : ['diff-tree', '-r', '--no-commit-id', '--name-status', '--root', sha];
    const numArgs = base
      ? ['diff-tree', '-r', '--no-commit-id', '--numstat', base, sha]
      : ['diff-tree', '-r', '--no-commit-id', '--numstat', '--root', sha];
    const names = (await this.run(repo, nameArgs)).split('\n').filter(Boolean);
    const nums = (await this.run(repo, numArgs)).split('\n').filter(Boolean);
    const counts = new Map<string, [number, number]>();
    for (const line of nums) {
      const [a, d, p] = line.split('\t');
      counts.set(p, [Number(a) || 0, Number(d) || 0]);
    }
    return names.map(line => {
      const [status, p] = line.split('\t');
      const [additions, deletions] = counts.get(p) ?? [0, 0];
      return { status, path: p, additions, deletions };
    });
  }
}

function parseLsTree(out: string): TreeEntry[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const tab = line.indexOf('\t');
      const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
      return {
        mode,
        type: type as TreeEntry['type'],
        sha,
        size: size && size !== '-' ? Number(size) : undefined,
        path: line.slice(tab + 1),
      };
    });
}
