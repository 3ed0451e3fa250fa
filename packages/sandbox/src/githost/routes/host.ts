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

/*
 * What the route modules of the GitHub emulator share: GitHub's error
 * answers, and the state and helpers of one GitHubApi (its repositories,
 * URLs, rate limit, the identity of a request's credentials).
 */

import http from 'node:http';
import { RouteContext, sendJson } from '../../lib/http';
import { GitRepos, PullRecord, RepoRecord, Signature } from '../GitRepos';
import { Urls } from '../render';
import { Mergeability } from './mergeability';

export const DOCS = 'https://docs.github.com/rest';

export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly docs = DOCS,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendGitHubError(
  res: http.ServerResponse,
  status: number,
  message: string,
  docs = DOCS,
  extra = {},
) {
  sendJson(res, status, {
    message,
    ...extra,
    documentation_url: docs,
    status: String(status),
  });
}

export function validationFailed(
  errors: Array<Record<string, unknown>>,
  docs: string,
) {
  return new GitHubError(422, 'Validation Failed', docs, { errors });
}

/** GitHub's core rate limit, requests an hour. */
export const RATE_LIMIT = 5000;

/** The path of a repository's REST resources. */
export const REPO = '/repos/:owner/:repo';

/**
 * Who a request acts as. Any token is accepted: a token of a GitHub App the
 * host knows acts as that app's bot account and carries its app id (the
 * creator of what it writes); any other token, or none, is the API user
 * (ml-gitops-bot). Basic credentials of the user `admin` act as a repository
 * admin, whom branch protection does not restrict (as on smart HTTP).
 */
export type Actor = {
  login: string;
  name: string;
  email: string;
  appId: number | null;
  admin: boolean;
};

/** The state and helpers of a GitHubApi that its routes use. */
export interface GitHubHost {
  readonly repos: GitRepos;
  readonly urls: () => Urls;
  /** Owners on GitHub Free (see GitHubApi.freePlanOwners). */
  readonly freePlanOwners: Set<string>;
  /** The core rate limit as of now. */
  readonly rate: { remaining: number; reset: number };
  /** Sends a JSON answer with an ETag; a matching If-None-Match gets 304 and costs no rate limit. */
  reply(
    ctx: Omit<RouteContext, 'params'>,
    status: number,
    body: unknown,
    headers?: Record<string, string>,
  ): void;
  /** The repository a route's params name, or GitHub's 404. */
  repo(params: Record<string, string>): RepoRecord;
  /** Seeded repos are open to every seeded user and team. */
  isCollaborator(repo: RepoRecord, who: string): boolean;
  commitOr404(repo: RepoRecord, ref: string, docs: string): Promise<string>;
  /** The identity of a request's credentials (see Actor). */
  actor(req: RouteContext['req']): Actor;
  /** Refuses an API write to a protected branch as GitHub refuses the push. */
  refuseProtected(
    ctx: RouteContext,
    repo: RepoRecord,
    ref: string,
    update: { old: string; new: string | null },
    status: number,
    docs: string,
  ): Promise<void>;
  apiUser(): Signature;
  /** GitHub's `pusher` of a push event: the login and e-mail of who moved the ref. */
  pusher(): { name: string; email: string };
  paginate<T>(
    ctx: Omit<RouteContext, 'params'>,
    items: T[],
  ): { page: T[]; headers: Record<string, string> };
  /** Open PRs follow their head branch, as on GitHub. */
  refreshHeads(repo: RepoRecord): Promise<void>;
  mergeability(repo: RepoRecord, pr: PullRecord): Promise<Mergeability>;
}

/** A repository's pull request by number, or GitHub's 404 with the route's docs. */
export function pullOr404(repo: RepoRecord, n: string, docs: string) {
  const pr = repo.pulls.find(p => String(p.number) === n);
  if (!pr) throw new GitHubError(404, 'Not Found', docs);
  return pr;
}

type SignatureInput = { name: string; email: string; date?: string };

/**
 * The author and committer of a commit written through the API: as given,
 * the date defaulting to now; without an author the API's user, and
 * without a committer the author (docs.github.com, "Create or update file
 * contents" and "Create a commit").
 */
export function commitSignatures(
  gh: GitHubHost,
  body: { author?: SignatureInput; committer?: SignatureInput },
): { author: Signature; committer: Signature } {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const signature = (given: SignatureInput): Signature => ({
    name: given.name,
    email: given.email,
    date: given.date ?? now,
  });
  const author = body.author
    ? signature(body.author)
    : { ...gh.apiUser(), date: now };
  return {
    author,
    committer: body.committer ? signature(body.committer) : author,
  };
}
