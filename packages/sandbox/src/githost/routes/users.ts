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

/* GitHub's users and the API's rate limit (docs.github.com/rest/users, /rest/rate-limit). */

import { Router } from '../../lib/http';
import { API_USER, SEED_ANCHOR, USERS } from '../../seed/data';
import { ownerJson, publicUserJson, userJson } from '../render';
import { DOCS, GitHubError, GitHubHost, RATE_LIMIT } from './host';

export function registerUsersRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', '/user', ctx =>
    gh.reply(ctx, 200, userJson(gh.urls(), API_USER.login)),
  );
  r.add('GET', '/users/:login', ctx => {
    const u = USERS[ctx.params.login];
    // an organization: the owner of repositories that is not a user
    const login = ctx.params.login.toLowerCase();
    const org = gh.repos.list().find(x => x.owner.toLowerCase() === login);
    if (!u && org) {
      return gh.reply(
        ctx,
        200,
        publicUserJson(ownerJson(gh.urls(), org.owner), {
          name: null,
          email: null,
          created_at: SEED_ANCHOR,
        }),
      );
    }
    if (!u)
      throw new GitHubError(404, 'Not Found', `${DOCS}/users/users#get-a-user`);
    return gh.reply(
      ctx,
      200,
      publicUserJson(userJson(gh.urls(), u.login)!, {
        name: u.name,
        email: u.email,
        created_at: SEED_ANCHOR,
      }),
    );
  });
  r.add('GET', '/rate_limit', ctx => {
    const core = {
      limit: RATE_LIMIT,
      remaining: gh.rate.remaining,
      reset: gh.rate.reset,
      used: RATE_LIMIT - gh.rate.remaining,
    };
    return gh.reply(ctx, 200, { resources: { core }, rate: core });
  });
}
