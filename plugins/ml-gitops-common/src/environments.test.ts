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
import {
  assertValidEnvironments,
  branchNameProblem,
  DEFAULT_ENVIRONMENTS,
  getNextEnvironment,
  getPreviousEnvironment,
  isValidBranchName,
  validateEnvironments,
} from './environments';

describe('environments', () => {
  it('defaults to dev, staging, production', () => {
    expect(DEFAULT_ENVIRONMENTS).toEqual(['dev', 'staging', 'production']);
  });

  it('finds the next and previous environment', () => {
    expect(getNextEnvironment(DEFAULT_ENVIRONMENTS, 'dev')).toBe('staging');
    expect(getNextEnvironment(DEFAULT_ENVIRONMENTS, 'staging')).toBe(
      'production',
    );
    expect(
      getNextEnvironment(DEFAULT_ENVIRONMENTS, 'production'),
    ).toBeUndefined();
    expect(getPreviousEnvironment(DEFAULT_ENVIRONMENTS, 'dev')).toBeUndefined();
    expect(getPreviousEnvironment(DEFAULT_ENVIRONMENTS, 'production')).toBe(
      'staging',
    );
  });

  it('refuses an unknown environment', () => {
    expect(() => getNextEnvironment(DEFAULT_ENVIRONMENTS, 'qa')).toThrow(
      InputError,
    );
    expect(() => getPreviousEnvironment(DEFAULT_ENVIRONMENTS, 'qa')).toThrow(
      /Unknown environment "qa"; the configured environments are dev, staging, production/,
    );
  });

  it.each(['dev', 'release/prod', 'prod-eu_1', 'v1.2'])(
    'accepts branch name %s',
    name => {
      expect(isValidBranchName(name)).toBe(true);
    },
  );

  it.each([
    ['', 'is empty'],
    ['@', 'reserves'],
    ['-dev', 'starts with "-"'],
    ['my env', 'space'],
    ['a~b', '~'],
    ['a:b', ':'],
    ['a..b', '".."'],
    ['a@{b', '"@{"'],
    ['dev.', 'ends with "."'],
    ['dev/', 'empty path component'],
    ['/dev', 'empty path component'],
    ['a//b', 'empty path component'],
    ['.dev', 'starting with "."'],
    ['dev.lock', '.lock'],
    ['tab\there', 'control character'],
  ])('refuses branch name %j', (name, why) => {
    expect(branchNameProblem(name)).toContain(why);
  });

  it('validates a configured list', () => {
    expect(validateEnvironments(['dev', 'staging', 'production'])).toEqual([]);
    expect(validateEnvironments('dev')).toEqual([
      expect.stringContaining('must be a list'),
    ]);
    expect(validateEnvironments([])).toEqual([
      expect.stringContaining('at least one'),
    ]);
    expect(validateEnvironments(['dev', 'dev'])).toEqual([
      expect.stringContaining('"dev" is listed twice'),
    ]);
    expect(validateEnvironments(['dev', 3])).toEqual([
      expect.stringContaining('environments[1] must be a string'),
    ]);
    expect(validateEnvironments(['dev..x'])).toEqual([
      expect.stringContaining('not a valid Git branch name'),
    ]);
    expect(validateEnvironments(['release/prod'])).toEqual([
      expect.stringContaining('not a valid Kubernetes label value'),
    ]);
    expect(validateEnvironments(['x'.repeat(64)])).toEqual([
      expect.stringContaining('not a valid Kubernetes label value'),
    ]);
  });

  it('asserts a valid list or throws an InputError with every problem', () => {
    expect(assertValidEnvironments(['dev', 'prod'])).toEqual(['dev', 'prod']);
    expect(() => assertValidEnvironments(['dev', 'dev', ''])).toThrow(
      /listed twice.*; .*not a valid Git branch name: it is empty/,
    );
  });
});
