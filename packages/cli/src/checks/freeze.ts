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

import {
  activeFreeze,
  CHANGE_LABELS,
  describeFreeze,
  ManifestFreeze,
  ModelManifest,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { PullRequestLabels } from '../lib/labels';
import { positionOf } from '../lib/positions';
import { CheckResult, failed, passed, skipped } from '../report';
import { BaseState, git } from './changes';
import type { ManifestLocation } from './registry';

const TITLE = 'Environment freeze';

/** The label that marks a rollback pull request (set by ml-gitops:rollback). */
export const ROLLBACK_LABEL = CHANGE_LABELS.rollback;

/** How far back the base branch's history is searched for a rolled-back-to version. */
const ROLLBACK_HISTORY = 500;

/**
 * Whether `version` was `model_version` on the base branch before: in a
 * manifest of one of the last commits on its first-parent history that
 * changed the manifest. A rollback brings back such a version.
 */
async function servedBefore(
  root: string,
  base: BaseState,
  manifestPath: string,
  version: string,
): Promise<boolean> {
  const commits = (
    await git(root, [
      'log',
      '--first-parent',
      '--format=%H',
      `-n${ROLLBACK_HISTORY}`,
      base.commit,
      '--',
      manifestPath,
    ])
  )
    .split('\n')
    .filter(Boolean);
  for (const commit of commits) {
    const text = await git(root, ['show', `${commit}:${manifestPath}`]).catch(
      () => undefined,
    );
    const parsed = text === undefined ? undefined : parseModelManifest(text);
    if (parsed?.ok && parsed.manifest.model_version === version) {
      return true;
    }
  }
  return false;
}

function frozenSummary(environment: string, freeze: ManifestFreeze): string {
  return `${environment} is ${describeFreeze(freeze)}`;
}

/**
 * With `--base`: while the base branch's manifest has an active freeze, a
 * pull request that changes `model_version` fails unless it is a rollback
 * (labelled `ml-gitops/rollback` and bringing back a version the branch
 * declared before). A pull request that adds a freeze and changes the
 * version together fails too. Adding, changing or removing `freeze:` alone
 * passes.
 */
export async function checkFreeze(options: {
  root: string;
  manifestPath: string;
  location: ManifestLocation;
  base: BaseState;
  current: ModelManifest | undefined;
  labels: PullRequestLabels;
  now?: Date;
}): Promise<CheckResult> {
  const { base, current, labels, location } = options;
  if (!current) {
    return skipped('freeze', TITLE, 'not run: the manifest is invalid');
  }
  const now = options.now ?? new Date();
  const environment = base.environment;
  const baseFreeze = base.manifest && activeFreeze(base.manifest, now);
  const headFreeze = activeFreeze(current, now);
  const before = base.manifest?.model_version;
  const version = current.model_version;
  const versionChanged = before !== version;
  const change = `model_version ${before ?? '(none)'} → ${version}`;
  const at = (path: string[]) => ({
    file: location.file,
    ...positionOf(location.text, path),
  });
  const details = {
    environment,
    frozen: Boolean(baseFreeze),
    ...(baseFreeze ? { freeze: baseFreeze } : {}),
    ...(headFreeze ? { headFreeze } : {}),
    versionChanged,
    labels: labels.names,
    labelsFrom: labels.source,
  };

  if (baseFreeze && versionChanged) {
    const summary = frozenSummary(environment, baseFreeze);
    if (!labels.names.includes(ROLLBACK_LABEL)) {
      return failed(
        'freeze',
        TITLE,
        `${summary}; this pull request changes ${change}`,
        [
          {
            severity: 'error',
            ...at(['model_version']),
            message: `${summary}: model_version must not change (${
              before ?? '(none)'
            } → ${version}) while it is frozen; only a rollback (a pull request labelled ${ROLLBACK_LABEL}) may${
              labels.source === 'none'
                ? ' (no labels were read: pass --labels, or run in GitHub Actions or a GitLab merge request pipeline)'
                : ` (labels from ${labels.source}: ${
                    labels.names.join(', ') || 'none'
                  })`
            }`,
            fix: baseFreeze.until
              ? `Wait until ${baseFreeze.until}, or remove the freeze in a pull request of its own first; a rollback is labelled ${ROLLBACK_LABEL}`
              : `Remove the freeze in a pull request of its own first; a rollback is labelled ${ROLLBACK_LABEL}`,
          },
        ],
        details,
      );
    }
    if (
      !(await servedBefore(options.root, base, options.manifestPath, version))
    ) {
      return failed(
        'freeze',
        TITLE,
        `${summary}; labelled ${ROLLBACK_LABEL}, but ${version} never was model_version of ${environment}`,
        [
          {
            severity: 'error',
            ...at(['model_version']),
            message: `${summary}: this pull request is labelled ${ROLLBACK_LABEL}, but version ${version} was never model_version on ${environment} (in its last ${ROLLBACK_HISTORY} manifest changes), so it is not a rollback`,
            fix: `A rollback brings back a version ${environment} declared before; deploy new versions after the freeze (a shallow clone hides the history: check out with fetch-depth: 0)`,
          },
        ],
        details,
      );
    }
    return passed(
      'freeze',
      TITLE,
      `${summary}; a rollback (labelled ${ROLLBACK_LABEL}) to ${version}, which ${environment} declared before, passes`,
      [],
      details,
    );
  }

  if (!baseFreeze && headFreeze && versionChanged) {
    return failed(
      'freeze',
      TITLE,
      `this pull request freezes ${environment} and changes ${change} together`,
      [
        {
          severity: 'error',
          ...at(['freeze']),
          message: `this pull request adds a freeze (${describeFreeze(
            headFreeze,
          )}) and changes model_version (${
            before ?? '(none)'
          } → ${version}) in the same pull request`,
          fix: 'Change the version and freeze the environment in separate pull requests',
        },
      ],
      details,
    );
  }

  let summary: string;
  if (baseFreeze) {
    summary = `${frozenSummary(
      environment,
      baseFreeze,
    )}; this pull request does not change model_version${
      headFreeze ? '' : ' and lifts the freeze'
    }`;
  } else if (headFreeze) {
    summary = `this pull request freezes ${environment}: ${describeFreeze(
      headFreeze,
    )}`;
  } else {
    const ended = base.manifest?.freeze?.until;
    summary = `${environment} is not frozen${
      ended ? ` (its freeze ended at ${ended})` : ''
    }`;
  }
  return passed('freeze', TITLE, summary, [], details);
}
