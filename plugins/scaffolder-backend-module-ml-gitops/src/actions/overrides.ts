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

import { markdownText } from '@ml-gitops/plugin-ml-gitops-common';
import { InputError } from '@backstage/errors';
import { checkText } from './inputs';
import { Logger } from './actionOptions';

/*
 * Overriding the checks of a change with `force` and a reason: the input
 * check, the refusal unless overridden, and the warning the pull request
 * carries.
 */

/** Refuses `force` that is not a boolean, or given without a reason. */
export function checkForce(input: { force?: unknown; reason?: unknown }) {
  if (input.force !== undefined && typeof input.force !== 'boolean') {
    throw new InputError('force must be true or false');
  }
  if (input.reason !== undefined) {
    checkText(input.reason, 'reason', 1000);
  }
  if (input.force && !(input.reason as string | undefined)?.trim()) {
    throw new InputError(
      'force: true needs a reason saying why the checks are overridden; the pull request states it',
    );
  }
}

/** Throws unless there are no blockers or they are overridden with a reason. */
export function enforce(
  what: string,
  blockers: string[],
  input: { force?: boolean; reason?: string },
  logger: Logger,
  unforceable: string[] = [],
) {
  if (blockers.length === 0) {
    return;
  }
  if (input.force && unforceable.length > 0) {
    throw new InputError(
      `Refusing to ${what}: ${unforceable.join(
        '; ',
      )}. force cannot override this: only a READY version has a model to serve, and only ml-gitops:version:unreject clears a rejection.`,
    );
  }
  if (!input.force) {
    throw new InputError(
      `Refusing to ${what}: ${blockers.join(
        '; ',
      )}. Fix this, or set force: true with a reason to override.`,
    );
  }
  logger.warn(
    `Overriding with force (reason: ${input.reason}): ${blockers.join('; ')}`,
  );
}

/** The warning a pull request opened with `force` starts with. */
export function forceWarning(
  blockers: string[],
  input: { force?: boolean; reason?: string },
): string {
  if (!input.force || blockers.length === 0) {
    return '';
  }
  return [
    '> [!WARNING]',
    `> The checks were overridden with \`force: true\`. Reason: ${markdownText(
      input.reason ?? '',
    )}`,
    ...blockers.map(b => `> - ${markdownText(b)}`),
    '',
    '',
  ].join('\n');
}
