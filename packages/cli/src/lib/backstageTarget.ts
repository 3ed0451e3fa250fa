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

/** An environment variable's name, as a shell would take it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The Backstage backend a command talks to and the token it sends, from
 * `--backstage-url` (or `BACKSTAGE_URL`) and the variable `--token-env`
 * names (default `BACKSTAGE_TOKEN`); or what to fix, in one sentence. The
 * token comes only from the environment, never from an argument that
 * shell history or a process list would keep.
 */
export function backstageTarget(
  values: { 'backstage-url'?: string; 'token-env'?: string },
  env: Record<string, string | undefined>,
  options: { tokenHint?: string } = {},
): { ok: true; url: string; token: string } | { ok: false; problem: string } {
  const problem = (text: string) => ({ ok: false as const, problem: text });
  const url = values['backstage-url'] ?? (env.BACKSTAGE_URL || undefined);
  if (!url) {
    return problem(
      '--backstage-url is required (or set BACKSTAGE_URL): the Backstage backend base URL, e.g. https://backstage.example.com',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return problem(
      `--backstage-url ${JSON.stringify(
        url,
      )} is not a URL; write e.g. https://backstage.example.com`,
    );
  }
  if (!['http:', 'https:'].includes(parsed.protocol)) {
    return problem('--backstage-url must be an http(s) URL');
  }
  if (parsed.username || parsed.password) {
    return problem(
      '--backstage-url must not carry credentials; put the token in the variable named by --token-env',
    );
  }
  const tokenEnv = values['token-env'] ?? 'BACKSTAGE_TOKEN';
  if (!ENV_NAME.test(tokenEnv)) {
    return problem(
      `--token-env takes the name of an environment variable, not ${JSON.stringify(
        tokenEnv,
      )}`,
    );
  }
  const token = env[tokenEnv];
  if (!token) {
    return problem(
      `the variable ${tokenEnv} is not set or empty: it must hold a Backstage access token${
        options.tokenHint ? ` (${options.tokenHint})` : ''
      }`,
    );
  }
  return { ok: true, url, token };
}
