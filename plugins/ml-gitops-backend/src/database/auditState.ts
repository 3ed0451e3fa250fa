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
  AuditDeclared,
  AuditStateItem,
  Deployment,
  DeploymentChecks,
} from '@ml-gitops/plugin-ml-gitops-common';
import type { DriftEpisode } from './MlGitopsStore';

/** A recorded deployment with what the backend read after its merge. */
export type AuditedDeployment = Deployment & { checks?: DeploymentChecks };

/**
 * What the store holds about one environment of one model, as it bears on
 * an instant `at`.
 */
export type EnvironmentFactsAt = {
  entityRef: string;
  environment: string;
  /** ISO 8601 UTC. */
  at: string;
  /** The deployment merged last at or before `at`. */
  declared?: AuditedDeployment;
  /** The deployment seen serving last at or before `at`. */
  lastServed?: AuditedDeployment;
  /** The drift episode that covers `at`. */
  drift?: DriftEpisode;
  /** The earliest recorded merge of the environment (any time). */
  firstMergedAt?: string;
  /** The earliest time a version was seen serving in it (any time). */
  firstServingAt?: string;
};

function declaredOf(d: AuditedDeployment): AuditDeclared {
  return {
    version: d.version,
    commit: d.commit,
    committedAt: d.committedAt,
    ...(d.pullRequest ? { pullRequest: d.pullRequest } : {}),
    author: d.author,
    kind: d.kind,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.checks ? { checks: d.checks } : {}),
  };
}

/**
 * What Git declared and what served in one environment at an instant, from
 * the stored facts; says when and why the answer is uncertain.
 *
 * Serving is certain only when the declared deployment had been seen serving
 * at or before the instant and no drift episode covers it. Between a merge
 * and the new version's first serving the version seen serving before is
 * shown, uncertain: the backend records when a version starts serving, not
 * each moment of a rollout. During a drift episode something else served,
 * which the backend does not record.
 */
export function resolveStateAt(facts: EnvironmentFactsAt): AuditStateItem {
  const { entityRef, environment, at, declared, lastServed, drift } = facts;
  const base = {
    entityRef,
    environment,
    declared: declared ? declaredOf(declared) : null,
  };
  if (!declared && !facts.firstMergedAt && !drift && !lastServed) {
    return {
      ...base,
      serving: null,
      certain: false,
      note: 'Nothing is recorded for this environment: no deployment was read from Git and no version was seen serving',
    };
  }
  const notes: string[] = [];
  if (!declared) {
    notes.push(
      facts.firstMergedAt
        ? `No deployment is recorded at or before ${at}: the history read from Git starts at ${facts.firstMergedAt}.`
        : 'No deployment is recorded for this environment.',
    );
  }

  if (drift) {
    notes.push(
      `Drifted from Git from ${drift.startedAt}${
        drift.endedAt ? ` to ${drift.endedAt}` : ' (still open)'
      }: ${
        drift.reason
      }. The version serving during a drift episode is not recorded.`,
    );
    return {
      ...base,
      serving: { version: null, since: drift.startedAt },
      certain: false,
      note: notes.join(' '),
    };
  }

  if (declared?.servingAt && declared.servingAt <= at) {
    return {
      ...base,
      serving: { version: declared.version, since: declared.servingAt },
      certain: notes.length === 0,
      ...(notes.length ? { note: notes.join(' ') } : {}),
    };
  }

  if (declared) {
    notes.push(
      `Version ${declared.version} was merged at ${declared.committedAt} and ${
        declared.servingAt
          ? `was first seen serving at ${declared.servingAt}`
          : 'is not recorded as serving'
      }.`,
    );
  }
  if (lastServed?.servingAt) {
    notes.push(
      `Version ${lastServed.version} is the last version seen serving before (from ${lastServed.servingAt}); what served during the rollout is not recorded.`,
    );
    return {
      ...base,
      serving: { version: lastServed.version, since: lastServed.servingAt },
      certain: false,
      note: notes.join(' '),
    };
  }
  notes.push(
    facts.firstServingAt
      ? `This is before the first observation of a serving version in this environment (${facts.firstServingAt}).`
      : 'No version has been seen serving in this environment yet.',
  );
  return { ...base, serving: null, certain: false, note: notes.join(' ') };
}
