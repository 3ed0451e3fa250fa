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
 * Git smart HTTP through `git http-backend` run as a CGI program
 * (git-scm.com/docs/git-http-backend), so plain `git clone` and `git push`
 * work against the emulated host.
 */

import { spawn } from 'node:child_process';
import http from 'node:http';
import { isolatedGitEnv } from '../lib/git';
import { API_USER, USERS } from '../seed/data';
import { GitRepos, RepoRecord } from './GitRepos';

const SMART_PATH =
  /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)$/;

export function matchSmartHttp(path: string) {
  const m = SMART_PATH.exec(path);
  return m ? { owner: m[1], repo: m[2], service: m[3] } : null;
}

function basicAuth(
  req: http.IncomingMessage,
): { user: string; password: string } | undefined {
  const h = /^basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  if (!h) return undefined;
  const text = Buffer.from(h[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const user = colon < 0 ? text : text.slice(0, colon);
  return user
    ? { user, password: colon < 0 ? '' : text.slice(colon + 1) }
    : undefined;
}

export type SmartHttpUser = { login: string; name: string; email: string };

/**
 * How a host other than the GitHub emulator checks Git credentials (GitLab:
 * any user name, a token as the password). Without it, as on the GitHub
 * emulator: reads are anonymous, pushes take any user name and password.
 */
export type SmartHttpAuth = {
  realm: string;
  /** who the Basic credentials belong to; undefined when they are refused */
  user(login: string, password: string): SmartHttpUser | undefined;
  /** whether fetches need credentials too (a private or internal project) */
  readNeedsAuth: boolean;
  /** the text of the 401 answer */
  deniedMessage: string;
};

export async function serveSmartHttp(
  repos: GitRepos,
  repo: RepoRecord,
  service: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  auth?: SmartHttpAuth,
): Promise<void> {
  const isPush =
    service === 'git-receive-pack' ||
    (service === 'info/refs' &&
      url.searchParams.get('service') === 'git-receive-pack');
  const credentials = basicAuth(req);
  const login = credentials?.user;
  const hostUser =
    auth && credentials
      ? auth.user(credentials.user, credentials.password)
      : undefined;
  if (auth ? (isPush || auth.readNeedsAuth) && !hostUser : isPush && !login) {
    // like GitHub, pushing needs credentials (any user name and password work here)
    req.resume();
    res.writeHead(401, {
      'content-type': 'text/plain',
      'www-authenticate': `Basic realm="${auth?.realm ?? 'GitHub'}"`,
    });
    res.end(auth?.deniedMessage ?? 'Authentication required to push\n');
    return;
  }
  const before =
    service === 'git-receive-pack' ? await repos.refs(repo, 'refs/heads/') : [];
  const user =
    hostUser ||
    (login && USERS[login]) ||
    (login
      ? { login, name: login, email: `${login}@users.noreply.localhost` }
      : API_USER);

  const env = isolatedGitEnv({
    GIT_PROJECT_ROOT: repos.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${repo.fullName}.git/${service}`,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: user.login,
    SANDBOX_PUSH_USER: hostUser?.login ?? login ?? '',
    GIT_COMMITTER_NAME: user.name,
    GIT_COMMITTER_EMAIL: user.email,
    ...(req.headers['content-encoding']
      ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }
      : {}),
    ...(req.headers['git-protocol']
      ? { GIT_PROTOCOL: String(req.headers['git-protocol']) }
      : {}),
  });
  if (req.headers['content-length'])
    env.CONTENT_LENGTH = String(req.headers['content-length']);

  const child = spawn('git', ['http-backend'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  const chunks: Buffer[] = [];
  const errors: Buffer[] = [];
  child.stdout.on('data', c => chunks.push(c));
  child.stderr.on('data', c => errors.push(c));
  const code = await new Promise<number | null>(resolve => {
    child.on('close', resolve);
    child.on('error', () => resolve(-1));
  });
  const out = Buffer.concat(chunks);
  const split = out.indexOf('\r\n\r\n');
  if (code !== 0 && split < 0) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(Buffer.concat(errors));
    return;
  }
  const headerText = out.subarray(0, split).toString('utf8');
  const body = out.subarray(split + 4);
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of headerText.split('\r\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (key.toLowerCase() === 'status')
      status = Number(value.split(' ')[0]) || 200;
    else headers[key] = value;
  }
  // The host takes the push in (pull requests move, approvals reset)
  // before the client hears it succeeded, so what it reads next is current.
  if (isPush && service === 'git-receive-pack') {
    const after = await repos.refs(repo, 'refs/heads/');
    const refs = new Set([...before.map(r => r.ref), ...after.map(r => r.ref)]);
    for (const ref of refs) {
      const b = before.find(r => r.ref === ref)?.sha ?? null;
      const a = after.find(r => r.ref === ref)?.sha ?? null;
      if (a !== b) {
        repo.pushed_at = new Date().toISOString();
        repos.emitPush({
          repo,
          ref,
          before: b ?? '0'.repeat(40),
          after: a ?? '0'.repeat(40),
          pusher: { name: user.login, email: user.email },
        });
      }
    }
  }
  headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  res.end(body);
}
