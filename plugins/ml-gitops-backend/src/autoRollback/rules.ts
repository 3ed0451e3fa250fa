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
  CanaryAnalysis,
  Deployment,
  describeCanary,
  describeServing,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { formatDuration } from '../lib/format';
import { AutoRollbackSettings } from './config';

/*
 * When the backend rolls an environment back by itself: pure functions of
 * the status the poller computed, so the rules are tested apart from Git.
 */

/** Why an environment's declared version needs rolling back. */
export type RollbackFailure = {
  kind: 'canary-failed' | 'not-serving';
  /** The pull request's reason, starting "Automatic rollback: ". */
  reason: string;
};

/** What to do about one environment this cycle. */
export type RollbackDecision =
  | { action: 'none' }
  /** A failure, but the rules leave it to people. */
  | { action: 'skip'; failure: RollbackFailure; why: string }
  | { action: 'roll-back'; failure: RollbackFailure };

/**
 * Why the declared version does not serve, or undefined when it serves or
 * that cannot be told (no live state, a source failed, no operator object).
 *
 * The one place that decides it, while the environment is progressing or
 * drifted: the live version differs from the declared one, or it is applied
 * but its serving objects say it does not serve (`LiveState.serving`:
 * KServe readiness, model state, traffic).
 */
export function servingFailure(status: EnvironmentStatus): string | undefined {
  const { declared, live, drift } = status;
  if (!declared || !live) return undefined;
  if (drift.state !== 'progressing' && drift.state !== 'drifted') {
    return undefined;
  }
  if (live.version === declared.version) {
    // Applied, but is it serving? The serving objects' status says
    // (KServe readiness, model state and traffic); without one, the
    // operator's applying the version is all there is to go by.
    const serving = live.serving;
    if (!serving || serving.state === 'serving') return undefined;
    return describeServing(serving) ?? drift.reason;
  }
  return (
    drift.reason ??
    `${live.source} ${live.application} serves ${
      live.version === null ? 'no version' : `version ${live.version}`
    } (${live.syncStatus}, ${live.healthStatus})`
  );
}

/** What a failed canary analysis says went wrong: its message, else its failed metrics. */
function canaryFailureText(canary: CanaryAnalysis): string {
  if (canary.message) return canary.message;
  const failed = (canary.metrics ?? []).filter(m => m.phase === 'failed');
  if (failed.length > 0) {
    return failed
      .map(m => `${m.name}${m.value !== undefined ? ` = ${m.value}` : ''}`)
      .join(', ');
  }
  return describeCanary(canary);
}

/**
 * The failure of the declared version, if any: its canary analysis failed
 * (an analysis of another version does not count), or it has not served
 * `notServingAfterMs` after the declaring commit and never served since.
 */
export function rollbackFailure(input: {
  status: EnvironmentStatus;
  settings: AutoRollbackSettings;
  now: Date;
  /** The recorded deployment of the declaring commit, when known. */
  deployment?: Pick<Deployment, 'servingAt'>;
}): RollbackFailure | undefined {
  const { status, settings, now, deployment } = input;
  const declared = status.declared;
  if (!declared) return undefined;
  const canary = status.canary;
  if (
    settings.onCanaryFailure &&
    canary?.phase === 'failed' &&
    (canary.version === undefined || canary.version === declared.version)
  ) {
    return {
      kind: 'canary-failed',
      reason: `Automatic rollback: canary analysis ${canary.name} of version ${
        declared.version
      } failed: ${canaryFailureText(canary)}`,
    };
  }
  if (settings.onNotServing && !deployment?.servingAt) {
    const failure = servingFailure(status);
    const age = now.getTime() - Date.parse(declared.committedAt);
    if (failure && age >= settings.notServingAfterMs) {
      return {
        kind: 'not-serving',
        reason: `Automatic rollback: version ${
          declared.version
        } has not served ${formatDuration(
          settings.notServingAfterMs,
        )} after its merge: ${failure}`,
      };
    }
  }
  return undefined;
}

/**
 * Whether to roll an environment back now: there is a failure, the
 * environment is not frozen, and the declared version was not itself
 * brought back by a rollback (rolling that back is left to people).
 */
export function rollbackDecision(input: {
  status: EnvironmentStatus;
  settings: AutoRollbackSettings;
  now: Date;
  deployment?: Pick<Deployment, 'servingAt' | 'kind'>;
}): RollbackDecision {
  if (!input.settings.enabled) return { action: 'none' };
  const failure = rollbackFailure(input);
  if (!failure) return { action: 'none' };
  const freeze = input.status.freeze;
  if (
    freeze &&
    (!freeze.until || Date.parse(freeze.until) > input.now.getTime())
  ) {
    return {
      action: 'skip',
      failure,
      why: `${input.status.name} is frozen ("${freeze.reason}")`,
    };
  }
  if (input.deployment?.kind === 'rollback') {
    return {
      action: 'skip',
      failure,
      why: `version ${
        input.status.declared!.version
      } was brought back by a rollback`,
    };
  }
  return { action: 'roll-back', failure };
}
