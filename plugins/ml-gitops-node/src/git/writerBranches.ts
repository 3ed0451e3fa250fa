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

// The writer's branches, commits and files of a config repo: refs, Git database commits and the contents API.
import { InputError } from '@backstage/errors';
import type { ConfigRepoLocation } from './configRepoTypes';
import { GithubWrites, json } from './githubWrites';
import type {
  FileCommit,
  FileOnBranch,
  TreeCommit,
} from './GithubConfigRepoWriter';

/** The head commit of a branch, or undefined when there is no such branch. */
export async function getBranchHead(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  branch: string,
): Promise<string | undefined> {
  const response = await api.request(
    loc,
    'GET',
    `/git/ref/heads/${branch.split('/').map(encodeURIComponent).join('/')}`,
  );
  if (response.status === 404) {
    return undefined;
  }
  if (!response.ok) {
    throw api.failure(loc, `Reading branch ${branch}`, response);
  }
  const body = json(response) as { object: { sha: string } };
  return body.object.sha;
}

/**
 * Creates `branch` at `sha`. An existing branch is left as it is and its
 * head returned, so a retried step does not fail.
 */
export async function createBranch(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  branch: string,
  sha: string,
): Promise<{ sha: string; created: boolean }> {
  const response = await api.request(loc, 'POST', '/git/refs', {
    ref: `refs/heads/${branch}`,
    sha,
  });
  if (response.ok) {
    return { sha, created: true };
  }
  if (response.status === 422) {
    const existing = await getBranchHead(api, loc, branch);
    if (existing) {
      return { sha: existing, created: false };
    }
  }
  throw api.failure(loc, `Creating branch ${branch}`, response);
}

/**
 * Moves `branch` to `sha` even when that is not a fast-forward (the
 * `force` of GitHub's update-a-reference). Only for the actions' own
 * change branches, which are rebuilt from the environment's head when it
 * moved on; GitHub refuses it on protected branches.
 */
export async function resetBranch(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  branch: string,
  sha: string,
): Promise<void> {
  const response = await api.request(
    loc,
    'PATCH',
    `/git/refs/heads/${branch.split('/').map(encodeURIComponent).join('/')}`,
    { sha, force: true },
  );
  if (!response.ok) {
    throw api.failure(loc, `Resetting branch ${branch}`, response);
  }
}

/**
 * Makes a commit on `parent` that writes `files` over its tree, through
 * GitHub's Git database API (blobs, a tree on the parent's, a commit),
 * without moving any branch. Moving a pull request's branch to its new
 * commit in one step matters: GitHub closes a pull request for good when
 * its head branch ever points at its base's commit.
 */
export async function createCommit(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  options: TreeCommit,
): Promise<string> {
  const entries: Array<{
    path: string;
    mode: string;
    type: string;
    sha: string;
  }> = [];
  for (const [path, content] of Object.entries(options.files)) {
    const blob = await api.request(loc, 'POST', '/git/blobs', {
      content: Buffer.from(content, 'utf8').toString('base64'),
      encoding: 'base64',
    });
    if (!blob.ok) {
      throw api.failure(loc, `Storing ${path}`, blob);
    }
    const { sha } = json(blob) as { sha: string };
    entries.push({ path, mode: '100644', type: 'blob', sha });
  }
  const tree = await api.request(loc, 'POST', '/git/trees', {
    base_tree: options.parentTree,
    tree: entries,
  });
  if (!tree.ok) {
    throw api.failure(loc, 'Writing the tree of a commit', tree);
  }
  const { sha: treeSha } = json(tree) as { sha: string };
  const commit = await api.request(loc, 'POST', '/git/commits', {
    message: options.message,
    tree: treeSha,
    parents: [options.parent],
    ...(options.author ? { author: options.author } : {}),
  });
  if (!commit.ok) {
    throw api.failure(loc, 'Writing a commit', commit);
  }
  return (json(commit) as { sha: string }).sha;
}

/** A commit's first parent and tree, or undefined when there is no such commit. */
export async function getCommit(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  sha: string,
): Promise<{ sha: string; parents: string[]; tree: string } | undefined> {
  const response = await api.request(
    loc,
    'GET',
    `/commits/${encodeURIComponent(sha)}`,
  );
  if (response.status === 404) {
    return undefined;
  }
  if (!response.ok) {
    throw api.failure(loc, `Reading commit ${sha}`, response);
  }
  const body = json(response) as {
    sha: string;
    parents?: Array<{ sha: string }>;
    commit?: { tree?: { sha: string } };
  };
  return {
    sha: body.sha,
    parents: (body.parents ?? []).map(p => p.sha),
    tree: body.commit?.tree?.sha ?? '',
  };
}

/** A file's text and blob id at a ref, or undefined when it is absent. */
export async function getFile(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  path: string,
  ref: string,
): Promise<FileOnBranch | undefined> {
  const response = await api.request(
    loc,
    'GET',
    `/contents/${path
      .split('/')
      .map(encodeURIComponent)
      .join('/')}?ref=${encodeURIComponent(ref)}`,
  );
  if (response.status === 404) {
    return undefined;
  }
  if (!response.ok) {
    throw api.failure(loc, `Reading ${path}@${ref}`, response);
  }
  const body = json(response) as {
    type?: string;
    sha: string;
    content?: string;
    encoding?: string;
  };
  if (body.type !== 'file' || typeof body.content !== 'string') {
    throw new InputError(
      `${path} in ${loc.owner}/${loc.repo} is not a file; check the manifest path`,
    );
  }
  return {
    text: Buffer.from(body.content, 'base64').toString('utf8'),
    blobSha: body.sha,
  };
}

/**
 * Commits new content of one file to a branch (the contents API), replacing
 * the blob `blobSha`, or creating the file when `blobSha` is not given.
 * Returns the new commit's sha.
 */
export async function commitFile(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  options: FileCommit,
): Promise<string> {
  const response = await api.request(
    loc,
    'PUT',
    `/contents/${options.path.split('/').map(encodeURIComponent).join('/')}`,
    {
      message: options.message,
      content: Buffer.from(options.content, 'utf8').toString('base64'),
      ...(options.blobSha ? { sha: options.blobSha } : {}),
      branch: options.branch,
      ...(options.author ? { author: options.author } : {}),
    },
  );
  if (!response.ok) {
    throw api.failure(
      loc,
      `Committing ${options.path} to ${options.branch}`,
      response,
    );
  }
  const body = json(response) as { commit: { sha: string } };
  return body.commit.sha;
}
