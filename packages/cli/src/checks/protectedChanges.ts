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

// What in a pull request only a code owner may approve: loosened gates, changed checks, CODEOWNERS and workflows.

import { ModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { isDeepStrictEqual } from 'node:util';
import { CODEOWNERS_PATHS, GITLAB_CODEOWNERS_PATHS } from '../lib/codeowners';

export type MetricGates = Record<string, { min?: number; max?: number }>;

/** A change of the pull request that only a code owner may approve. */
export type ProtectedChange = {
  /** The file whose code owners decide. */
  path: string;
  /** What the pull request does, e.g. "the PR lowers gates.metrics.auc.min from 0.92 to 0.5". */
  what: string;
  /** "a gate change", "a CODEOWNERS change", … */
  kind: string;
  /** Where to show it in the manifest (gate and checks changes). */
  manifestPath?: string[];
};

const fmt = (n: number) => String(n);

/**
 * How the pull request loosens the performance gate against the base: a
 * lower `min`, a higher `max`, a bound, a metric or all gates removed.
 * Tightening and new gates need no approval.
 */
export function gateLoosenings(
  base: MetricGates | undefined,
  head: MetricGates | undefined,
): string[] {
  const out: string[] = [];
  for (const [metric, before] of Object.entries(base ?? {})) {
    const after = head?.[metric];
    const key = `gates.metrics.${metric}`;
    if (!after) {
      out.push(`the PR removes the gate ${key}`);
      continue;
    }
    if (before.min !== undefined) {
      if (after.min === undefined) {
        out.push(`the PR removes ${key}.min (${fmt(before.min)})`);
      } else if (after.min < before.min) {
        out.push(
          `the PR lowers ${key}.min from ${fmt(before.min)} to ${fmt(
            after.min,
          )}`,
        );
      }
    }
    if (before.max !== undefined) {
      if (after.max === undefined) {
        out.push(`the PR removes ${key}.max (${fmt(before.max)})`);
      } else if (after.max > before.max) {
        out.push(
          `the PR raises ${key}.max from ${fmt(before.max)} to ${fmt(
            after.max,
          )}`,
        );
      }
    }
  }
  return out;
}

/**
 * The gates that apply while a loosening is not approved: every metric of
 * either side, with the stricter bound of the two.
 */
export function stricterGates(
  base: MetricGates | undefined,
  head: MetricGates | undefined,
): MetricGates {
  const out: MetricGates = {};
  for (const metric of new Set([
    ...Object.keys(base ?? {}),
    ...Object.keys(head ?? {}),
  ])) {
    const a = base?.[metric] ?? {};
    const b = head?.[metric] ?? {};
    const mins = [a.min, b.min].filter((v): v is number => v !== undefined);
    const maxs = [a.max, b.max].filter((v): v is number => v !== undefined);
    out[metric] = {
      ...(mins.length ? { min: Math.max(...mins) } : {}),
      ...(maxs.length ? { max: Math.min(...maxs) } : {}),
    };
  }
  return out;
}

/**
 * The files whose change needs a code owner: CODEOWNERS and the CI that
 * runs this check, wherever GitHub or GitLab reads them (GitHub Actions
 * workflows, GitLab's `.gitlab-ci.yml`).
 */
export function protectedFileKind(path: string): string | undefined {
  if (CODEOWNERS_PATHS.includes(path) || GITLAB_CODEOWNERS_PATHS.includes(path))
    return 'a CODEOWNERS change';
  if (path.startsWith('.github/workflows/')) return 'a workflow change';
  if (path === '.gitlab-ci.yml') return 'a CI file change';
  return undefined;
}

/** Everything in the pull request that only a code owner may approve. */
export function protectedChanges(options: {
  manifestPath: string;
  base?: ModelManifest;
  head?: ModelManifest;
  changedFiles: string[];
}): ProtectedChange[] {
  const { manifestPath, base, head } = options;
  const out: ProtectedChange[] = [];
  for (const what of gateLoosenings(
    base?.gates?.metrics,
    head?.gates?.metrics,
  )) {
    const metric =
      /gates\.metrics\.([^ .]+(?:\.[^ .]+)*?)(?:\.(?:min|max))?(?: |$)/.exec(
        what,
      )?.[1];
    out.push({
      path: manifestPath,
      what,
      kind: 'a gate change',
      manifestPath: metric ? ['gates', 'metrics', metric] : ['gates'],
    });
  }
  if (base && head && !isDeepStrictEqual(base.checks, head.checks)) {
    out.push({
      path: manifestPath,
      what: 'the PR changes checks (the integration commands ml-gitops validate runs)',
      kind: 'a change to what the check runs',
      manifestPath: ['checks'],
    });
  }
  for (const file of options.changedFiles) {
    const kind = protectedFileKind(file);
    if (kind) out.push({ path: file, what: `the PR changes ${file}`, kind });
  }
  return out;
}
