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
 * Everything the GitLab emulator serves on its port: the REST API under
 * /api/v4, GraphQL at /api/graphql, Git smart HTTP at /<full path>.git
 * (basic auth: any user name, a token as the password, as GitLab takes
 * `oauth2:<token>` — docs.gitlab.com/user/profile/personal_access_tokens)
 * and a pipeline's page (its jobs' logs, as plain text).
 */

import http from 'node:http';
import { serveSmartHttp, SmartHttpAuth } from '../githost/smartHttp';
import { GitLabApi } from './GitLabApi';
import { GitLabHost } from './GitLabHost';
import { fullPath, GlProject } from './model';

const SMART_PATH =
  /^\/(.+?)(?:\.git)\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)$/;
const PIPELINE_PAGE = /^\/(.+?)\/-\/pipelines\/(\d+)$/;

function smartAuth(host: GitLabHost, project: GlProject): SmartHttpAuth {
  return {
    realm: 'GitLab',
    user: (_login, password) => {
      const u = host.userByToken(password);
      return u && host.canRead(project, u)
        ? { login: u.username, name: u.name, email: u.email }
        : undefined;
    },
    readNeedsAuth: project.visibility !== 'public',
    // GitLab's answer to a refused Git login (lib/gitlab/auth.rb)
    deniedMessage:
      "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped.\n",
  };
}

export async function serveGitLabWeb(
  host: GitLabHost,
  api: GitLabApi,
  req: http.IncomingMessage & { url: string; method: string },
  res: http.ServerResponse,
  url: URL,
) {
  if (url.pathname === '/api/graphql') {
    await api.graphql.handle(req, res);
    return;
  }
  if (url.pathname.startsWith('/api/v4/')) {
    await api.handle(req, res, url, url.pathname.slice('/api/v4'.length));
    return;
  }
  const smart = SMART_PATH.exec(url.pathname);
  const project = smart && host.project(decodeURIComponent(smart[1]));
  if (smart && project) {
    await serveSmartHttp(
      host.repos,
      project.repo,
      smart[2],
      req,
      res,
      url,
      smartAuth(host, project),
    );
    return;
  }
  const page = PIPELINE_PAGE.exec(url.pathname);
  const pipelineProject = page && host.project(decodeURIComponent(page[1]));
  const pipeline = pipelineProject?.pipelines.find(
    p => p.id === Number(page![2]),
  );
  req.resume();
  if (pipelineProject && pipeline) {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      `Pipeline #${pipeline.id} of ${fullPath(pipelineProject)} (${
        pipeline.source
      }, ${pipeline.ref}, ${pipeline.sha}): ${
        pipeline.status
      }\n\n${pipeline.jobs
        .map(
          j =>
            `${j.name}: ${j.status}${
              j.description ? ` — ${j.description}` : ''
            }\n${j.log.join('\n')}`,
        )
        .join('\n\n')}\n`,
    );
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('Not Found\n');
}
