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

// The branch heads of one config repo through GitHub's REST API, every page asked conditionally with its own ETag.
import { ServiceUnavailableError } from '@backstage/errors';
import { addListedBranchHeads, ListedBranch } from './branchListHeads';
import type { ConfigRepoLocation, ValidatorCache } from './configRepoTypes';
import { discard } from './githubTransport';
import { GithubRestReads, headerText, nextPageNumber } from './githubRestReads';

/** How many pages of 100 branches are read before giving up. */
const MAX_BRANCH_PAGES = 20;

/**
 * The head commit of every branch. GitHub lists branches sorted by name,
 * at most 100 a page, and says in the `Link` header where the next page is
 * (docs.github.com, "Using pagination in the REST API"): a repo with many
 * `ml-gitops/…` branches has its `production` and `staging` on a later
 * page, so every page is read. Each page is asked conditionally with its
 * own ETag; when every page answers 304 nothing changed and the cached
 * heads are returned.
 */
export async function readBranchHeads(
  api: GithubRestReads,
  cache: ValidatorCache,
  loc: ConfigRepoLocation,
): Promise<{ heads: Record<string, string>; changed: boolean }> {
  const key = `github:branches:${loc.host}/${loc.owner}/${loc.repo}`;
  const cached = await cache.get(key);
  // Older cache entries hold the ETag of the one page they read.
  const pageEtags = cached ? cached.pages ?? [cached.etag] : [];
  const heads: Record<string, string> = {};
  const etags: string[] = [];
  let unchanged = Boolean(cached);
  let path: string | undefined = branchesPage(1);
  for (let page = 0; path; page++) {
    if (page >= MAX_BRANCH_PAGES) {
      throw new ServiceUnavailableError(
        `Listing branches of ${loc.owner}/${loc.repo} on ${loc.host} stopped after ${MAX_BRANCH_PAGES} pages of 100; delete merged ml-gitops/* branches (GitHub does it on merge with "Automatically delete head branches")`,
      );
    }
    const etag = unchanged ? pageEtags[page] : undefined;
    const response = await api.request(loc, path, {
      headers: etag ? { 'If-None-Match': etag } : {},
    });
    if (response.status === 304 && etag && cached) {
      etags.push(etag);
      path = pageEtags.length > page + 1 ? branchesPage(page + 2) : undefined;
      continue;
    }
    if (!response.ok) {
      throw api.failure(loc, 'Listing branches', response);
    }
    if (unchanged && page > 0) {
      // An earlier page was unchanged but this one is not: read the
      // earlier pages again, since their 304 carried no branches.
      unchanged = false;
      etags.length = 0;
      path = branchesPage(1);
      page = -1;
      discard(response);
      continue;
    }
    unchanged = false;
    const body = await api.json<ListedBranch[]>(
      loc,
      'Listing branches',
      response,
      'array',
    );
    addListedBranchHeads(heads, body, loc, 'sha');
    etags.push(headerText(response, 'etag') ?? '');
    const next = nextPageNumber(headerText(response, 'link') ?? null);
    path = next === page + 2 ? branchesPage(next) : undefined;
  }
  if (unchanged && cached) {
    return { heads: cached.heads, changed: false };
  }
  if (etags.every(Boolean)) {
    await cache.set(key, { etag: etags[0], pages: etags, heads });
  }
  const changed =
    !cached || JSON.stringify(cached.heads) !== JSON.stringify(heads);
  return { heads, changed };
}

/** The path of page `page` (counted from 1) of the branch list. */
function branchesPage(page: number): string {
  return `/branches?per_page=100${page > 1 ? `&page=${page}` : ''}`;
}
