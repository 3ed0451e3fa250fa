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

/* Branch protection (docs.github.com/rest/branches/branch-protection). */

import { readJson, Router } from '../../lib/http';
import { RepoRecord, RequiredCheck } from '../GitRepos';
import { protectionJson } from '../render';
import { DOCS, GitHubError, GitHubHost, REPO, validationFailed } from './host';

export function registerProtectionRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/branches/:branch/protection`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/branches/branch-protection#get-branch-protection`;
    if (!(await gh.repos.refSha(repo, `refs/heads/${ctx.params.branch}`))) {
      throw new GitHubError(404, 'Branch not found', docs);
    }
    if (!repo.protection[ctx.params.branch])
      throw new GitHubError(404, 'Branch not protected', docs);
    return gh.reply(
      ctx,
      200,
      protectionJson(gh.urls(), repo, ctx.params.branch),
    );
  });
  r.add('PUT', `${REPO}/branches/:branch/protection`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/branches/branch-protection#update-branch-protection`;
    if (
      gh.freePlanOwners.has(repo.owner.toLowerCase()) &&
      (repo.visibility ?? 'public') !== 'public'
    ) {
      throw new GitHubError(
        403,
        'Upgrade to GitHub Pro or make this repository public to enable this feature.',
        docs,
      );
    }
    if (!(await gh.repos.refSha(repo, `refs/heads/${ctx.params.branch}`))) {
      throw new GitHubError(404, 'Branch not found', docs);
    }
    for (const key of [
      'required_status_checks',
      'enforce_admins',
      'required_pull_request_reviews',
      'restrictions',
    ]) {
      if (!(key in body)) {
        throw new GitHubError(
          422,
          `Invalid request.\n\n"${key}" wasn't supplied.`,
          docs,
        );
      }
    }
    const rsc = body.required_status_checks;
    const rpr = body.required_pull_request_reviews;
    const checks = rsc ? requestedChecks(repo, rsc, docs) : [];
    repo.protection[ctx.params.branch] = {
      required_status_checks: rsc
        ? {
            strict: Boolean(rsc.strict),
            contexts: checks.map(c => c.context),
            checks,
          }
        : null,
      required_pull_request_reviews: rpr
        ? {
            required_approving_review_count: Number(
              rpr.required_approving_review_count ?? 1,
            ),
            dismiss_stale_reviews: Boolean(rpr.dismiss_stale_reviews),
            require_code_owner_reviews: Boolean(rpr.require_code_owner_reviews),
          }
        : null,
      enforce_admins: Boolean(body.enforce_admins),
      allow_force_pushes: Boolean(body.allow_force_pushes),
      allow_deletions: Boolean(body.allow_deletions),
    };
    await gh.repos.syncProtection(repo);
    return gh.reply(
      ctx,
      200,
      protectionJson(gh.urls(), repo, ctx.params.branch),
    );
  });
  r.add('DELETE', `${REPO}/branches/:branch/protection`, async ctx => {
    const repo = gh.repo(ctx.params);
    if (!repo.protection[ctx.params.branch]) {
      throw new GitHubError(
        404,
        'Branch not protected',
        `${DOCS}/branches/branch-protection#delete-branch-protection`,
      );
    }
    delete repo.protection[ctx.params.branch];
    await gh.repos.syncProtection(repo);
    ctx.res.writeHead(204);
    ctx.res.end();
  });
}

/**
 * The required checks of a protection update (docs.github.com, REST
 * "Update branch protection"): `checks` as `{context, app_id}`, where an
 * omitted app_id "automatically select[s] the GitHub App that has recently
 * provided this check, or any app if it was not set by a GitHub App" and
 * -1 "explicitly allow[s] any app"; or the deprecated `contexts`, of
 * which "If any of these checks have recently been set by a particular
 * GitHub App, they will be required to come from that app in future".
 * "Recently" is read as: the newest status of that context in the repo
 * that an app created.
 */
export function requestedChecks(
  repo: RepoRecord,
  rsc: { contexts?: unknown; checks?: unknown },
  docs: string,
): RequiredCheck[] {
  const recentApp = (context: string) => {
    let newest: { id: number; app_id?: number | null } | undefined;
    for (const list of Object.values(repo.statuses)) {
      for (const st of list) {
        if (
          st.context === context &&
          typeof st.app_id === 'number' &&
          (!newest || st.id > newest.id)
        )
          newest = st;
      }
    }
    return newest?.app_id ?? null;
  };
  const invalid = () =>
    validationFailed(
      [
        {
          resource: 'ProtectedBranch',
          code: 'invalid',
          field: 'required_status_checks',
        },
      ],
      docs,
    );
  if (rsc.checks !== undefined && rsc.checks !== null) {
    if (!Array.isArray(rsc.checks)) throw invalid();
    return rsc.checks.map((c: unknown) => {
      const check = c as { context?: unknown; app_id?: unknown };
      if (typeof check?.context !== 'string') throw invalid();
      if (check.app_id === undefined || check.app_id === null)
        return { context: check.context, app_id: recentApp(check.context) };
      if (typeof check.app_id !== 'number') throw invalid();
      return {
        context: check.context,
        app_id: check.app_id === -1 ? null : check.app_id,
      };
    });
  }
  if (!Array.isArray(rsc.contexts)) throw invalid();
  return rsc.contexts.map(c => ({
    context: String(c),
    app_id: recentApp(String(c)),
  }));
}
