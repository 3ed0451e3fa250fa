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

import { execFile } from 'node:child_process';

/** A failed git command; the message never contains credentials. @public */
export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | string | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args[0]} failed (${code}): ${stderr.trim().slice(0, 500)}`);
    this.name = 'GitCommandError';
  }
}

/**
 * Runs the git CLI in one directory. Everything else reaches the Git host
 * through its API; the CLI stays where that and isomorphic-git cannot do
 * the job: a rollback reverts commits (`git revert`, with `-m` for merges),
 * which isomorphic-git has no command for. The first push of a new config
 * repo (config-repo:create) uses it too: GitHub's Git database API answers
 * 409 for an empty repo (only the contents API writes there, one file a
 * commit), and isomorphic-git pushes only over HTTP, not to the bare repos
 * on disk the action's tests push to.
 *
 * A token is handed to git through `GIT_CONFIG_*` environment variables as
 * an HTTP header, so it appears neither in the command line, nor in
 * `.git/config`, nor in any output.
 *
 * @public
 */
export class GitCli {
  private readonly env: NodeJS.ProcessEnv;

  private readonly timeoutMs: number;

  constructor(
    private readonly cwd: string,
    options: {
      token?: string;
      /**
       * The user name sent with the token (the writer's `gitTokenUser`):
       * default GitHub's `x-access-token`; GitLab's is `oauth2`.
       */
      tokenUser?: string;
      author: { name: string; email: string };
      /** How long one git command may take (default 120 s). */
      timeoutMs?: number;
    },
  ) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    const config: Array<[string, string]> = [
      ['user.name', options.author.name],
      ['user.email', options.author.email],
      ['commit.gpgsign', 'false'],
      ['core.autocrlf', 'false'],
      ['advice.detachedHead', 'false'],
    ];
    if (options.token) {
      const basic = Buffer.from(
        `${options.tokenUser ?? 'x-access-token'}:${options.token}`,
      ).toString('base64');
      config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
    }
    const passThrough = Object.fromEntries(
      [
        'HTTPS_PROXY',
        'HTTP_PROXY',
        'NO_PROXY',
        'https_proxy',
        'http_proxy',
        'no_proxy',
        'GIT_SSL_CAINFO',
        'SSL_CERT_FILE',
      ]
        .filter(name => process.env[name] !== undefined)
        .map(name => [name, process.env[name]]),
    );
    this.env = {
      ...passThrough,
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_COUNT: String(config.length),
      ...Object.fromEntries(
        config.flatMap(([key, value], i) => [
          [`GIT_CONFIG_KEY_${i}`, key],
          [`GIT_CONFIG_VALUE_${i}`, value],
        ]),
      ),
    };
  }

  /** Runs `git <args>` and resolves to its stdout. */
  run(args: string[], options: { cwd?: string } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        args,
        {
          cwd: options.cwd ?? this.cwd,
          env: this.env,
          maxBuffer: 64 * 1024 * 1024,
          // A Git host that stops answering must not hold the task forever.
          timeout: this.timeoutMs,
          killSignal: 'SIGKILL',
        },
        (error, stdout, stderr) => {
          if (error && error.killed) {
            reject(
              new GitCommandError(
                args,
                'timeout',
                `did not finish within ${Math.round(
                  this.timeoutMs / 1000,
                )} s; the Git host may be unreachable or slow, run the task again`,
              ),
            );
          } else if (error) {
            reject(new GitCommandError(args, error.code ?? undefined, stderr));
          } else {
            resolve(stdout);
          }
        },
      );
    });
  }

  /** Like {@link GitCli.run} but resolves to undefined when git fails. */
  async tryRun(args: string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch (error) {
      if (error instanceof GitCommandError) {
        return undefined;
      }
      throw error;
    }
  }
}
