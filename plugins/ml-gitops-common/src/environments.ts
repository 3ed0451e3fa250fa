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

import { InputError } from '@backstage/errors';

/**
 * The default promotion order (`mlGitops.environments`). Each environment is a
 * branch of the config repo with the same name.
 *
 * @public
 */
export const DEFAULT_ENVIRONMENTS: readonly string[] = [
  'dev',
  'staging',
  'production',
];

/**
 * Why a name is not a valid Git branch name, or undefined when it is one.
 *
 * Follows the rules of `git check-ref-format --branch`: no control characters,
 * spaces or any of `~^:?*[\`, no `..`, no `@{`, no empty path component or one
 * starting with `.` or ending with `.lock`, no leading `-` or `/`, no trailing
 * `/` or `.`, and not `@` alone.
 *
 * @public
 */
export function branchNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === '@') return 'is "@", which Git reserves';
  if (name.startsWith('-')) return 'starts with "-"';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) {
    return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  }
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.endsWith('.')) return 'ends with "."';
  for (const component of name.split('/')) {
    if (component === '')
      return 'has an empty path component ("//", or a leading or trailing "/")';
    if (component.startsWith('.'))
      return 'has a path component starting with "."';
    if (component.endsWith('.lock'))
      return 'has a path component ending with ".lock"';
  }
  return undefined;
}

/**
 * Whether a name is a valid Git branch name, see {@link branchNameProblem}.
 *
 * @public
 */
export function isValidBranchName(name: string): boolean {
  return branchNameProblem(name) === undefined;
}

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Why an environment list is not usable as a promotion order; empty when it is.
 *
 * An environment list must be a non-empty array of unique strings, each a
 * valid Git branch name (the environment's branch in the config repo) and a
 * valid Kubernetes label value (the `ml-gitops/environment` label that matches
 * Argo CD Applications and Flux objects to it: at most 63 characters of
 * letters, digits, `-`, `_` and `.`, starting and ending alphanumeric).
 *
 * @public
 */
export function validateEnvironments(environments: unknown): string[] {
  if (!Array.isArray(environments)) {
    return [
      'environments must be a list of branch names, e.g. [dev, staging, production]',
    ];
  }
  if (environments.length === 0) {
    return ['environments must name at least one environment'];
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  environments.forEach((env, index) => {
    if (typeof env !== 'string') {
      problems.push(
        `environments[${index}] must be a string, got ${typeof env}`,
      );
      return;
    }
    if (seen.has(env)) {
      problems.push(
        `environments[${index}] "${env}" is listed twice; each environment appears once`,
      );
    }
    seen.add(env);
    const branchProblem = branchNameProblem(env);
    if (branchProblem) {
      problems.push(
        `environments[${index}] "${env}" is not a valid Git branch name: it ${branchProblem}`,
      );
    } else if (env.length > 63 || !LABEL_VALUE.test(env)) {
      problems.push(
        `environments[${index}] "${env}" is not a valid Kubernetes label value (max 63 characters: letters, digits, "-", "_", "."; alphanumeric at both ends)`,
      );
    }
  });
  return problems;
}

/**
 * Returns the environment list if it is valid, otherwise throws an
 * `InputError` listing every problem.
 *
 * @public
 */
export function assertValidEnvironments(environments: unknown): string[] {
  const problems = validateEnvironments(environments);
  if (problems.length > 0) {
    throw new InputError(
      `Invalid ml-gitops environments: ${problems.join('; ')}`,
    );
  }
  return [...(environments as string[])];
}

function indexOf(environments: readonly string[], environment: string): number {
  const index = environments.indexOf(environment);
  if (index < 0) {
    throw new InputError(
      `Unknown environment "${environment}"; the configured environments are ${environments.join(
        ', ',
      )}`,
    );
  }
  return index;
}

/**
 * The environment a promotion from `environment` goes to, or undefined for
 * the last one. Throws an `InputError` for an environment not in the list.
 *
 * @public
 */
export function getNextEnvironment(
  environments: readonly string[],
  environment: string,
): string | undefined {
  return environments[indexOf(environments, environment) + 1];
}

/**
 * The environment that promotes into `environment`, or undefined for the
 * first one. Throws an `InputError` for an environment not in the list.
 *
 * @public
 */
export function getPreviousEnvironment(
  environments: readonly string[],
  environment: string,
): string | undefined {
  const index = indexOf(environments, environment);
  return index === 0 ? undefined : environments[index - 1];
}
