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
 * What the owners of a model hear, and when: drift that began or ended, a
 * merged rollback or one that missed its target, a failed or inconclusive
 * canary, an environment that stays unknown or missing. One notification
 * scope per thing it is about, so a later send (from this or another
 * replica) updates it instead of adding one.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  Deployment,
  describeCanary,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { MlGitopsConfig } from '../config';
import { Silence } from '../database/MlGitopsStore';
import { formatDuration } from '../lib/format';

/**
 * The topics of ML GitOps notifications, one per kind, so that people can
 * mute a kind (the notifications settings list topics per origin): drift
 * (and a drift that ended), rollbacks (merged, missed their target,
 * opened automatically), canary verdicts, and environments that stay
 * unknown or missing. An addition to the design contract.
 *
 * @public
 */
export const NOTIFICATION_TOPICS = {
  drift: 'ml-gitops.drift',
  rollback: 'ml-gitops.rollback',
  canary: 'ml-gitops.canary',
  stale: 'ml-gitops.stale',
} as const;

/** @public */
export type NotificationTopic =
  (typeof NOTIFICATION_TOPICS)[keyof typeof NOTIFICATION_TOPICS];

/**
 * Where a notification leads: the fleet page with `?entity=<ref>`, which
 * finds the model's ML GitOps tab through the catalog's entity route as the
 * app binds it (the backend cannot know where the app mounts entity pages).
 */
export function entityTabLink(entity: Entity): string {
  return `/ml-gitops?entity=${encodeURIComponent(stringifyEntityRef(entity))}`;
}

/**
 * Tells the owners of a model's entity. The scope names the one thing the
 * notification is about (a later send with the same scope updates it
 * instead of adding one); the topic names its kind. A failure to send is
 * logged, never thrown: a notification is not worth a failed poll.
 */
export async function notifyEntityOwners(
  deps: { notifications?: NotificationService; logger: LoggerService },
  target: { entity: Entity; entityRef: string },
  payload: {
    topic: NotificationTopic;
    scope: string;
    title: string;
    description?: string;
    severity: 'high' | 'normal';
    /** Where it links; the model's ML GitOps tab when not given. */
    link?: string;
  },
): Promise<void> {
  if (!deps.notifications) return;
  await deps.notifications
    .send({
      recipients: { type: 'entity', entityRef: target.entityRef },
      payload: {
        title: payload.title,
        ...(payload.description !== undefined
          ? { description: payload.description }
          : {}),
        severity: payload.severity,
        link: payload.link ?? entityTabLink(target.entity),
        topic: payload.topic,
        scope: payload.scope,
      },
    })
    .catch(error =>
      deps.logger.warn(
        `Sending a notification for ${target.entityRef} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      ),
    );
}

/** 75 → "1 min 15 s". */
function formatSeconds(seconds: number): string {
  return formatDuration(seconds * 1000);
}

/** The model a notification is about. */
type Target = { entityRef: string; entity: Entity };

function titleOf(entity: Entity): string {
  return entity.metadata.title ?? entity.metadata.name;
}

/** The poller's notifications to a model's owners. */
export class OwnerNotifier {
  constructor(
    private readonly deps: {
      logger: LoggerService;
      notifications?: NotificationService;
      config: Pick<MlGitopsConfig, 'environments' | 'unknownAfterMs'>;
    },
  ) {}

  /** Production (the last environment) is worth a high severity. */
  private severityOf(environment: string): 'high' | 'normal' {
    return environment === this.deps.config.environments.at(-1)
      ? 'high'
      : 'normal';
  }

  private async send(
    { entityRef, entity }: Target,
    environment: string,
    payload: {
      topic: NotificationTopic;
      title: string;
      description?: string;
      severity: 'high' | 'normal';
      scope?: string;
    },
  ) {
    await notifyEntityOwners(
      this.deps,
      { entity, entityRef },
      {
        ...payload,
        scope: payload.scope ?? `ml-gitops:drift:${entityRef}:${environment}`,
      },
    );
  }

  /** A rollback merged since the last cycle, with its reason. */
  async rollbackMerged(target: Target, rollback: Deployment) {
    await this.send(target, rollback.environment, {
      topic: NOTIFICATION_TOPICS.rollback,
      title: `${titleOf(target.entity)} rolled back in ${
        rollback.environment
      }: ${rollback.previousVersion ?? '?'} → ${rollback.version}`,
      description: `${rollback.author} rolled ${
        rollback.environment
      } back to version ${rollback.version}${
        rollback.pullRequest ? ` (#${rollback.pullRequest.number})` : ''
      }. Reason: ${rollback.reason ?? 'none given'}.`,
      severity: 'normal',
      scope: `ml-gitops:rollback-merged:${target.entityRef}:${rollback.environment}:${rollback.commit}`,
    });
  }

  /** A rollback that served later than `targetSeconds` after its merge. */
  async rollbackMissedTarget(
    target: Target,
    environment: string,
    served: { version: string; commit: string; timeToServeSeconds: number },
    targetSeconds: number,
  ) {
    await this.send(target, environment, {
      topic: NOTIFICATION_TOPICS.rollback,
      title: `${titleOf(
        target.entity,
      )}: the rollback in ${environment} missed its target`,
      description: `Version ${served.version} (${served.commit.slice(
        0,
        7,
      )}) served ${formatSeconds(
        served.timeToServeSeconds,
      )} after the merge; the target is ${formatSeconds(targetSeconds)}.`,
      severity: 'high',
      scope: `ml-gitops:rollback:${target.entityRef}:${environment}:${served.commit}`,
    });
  }

  /**
   * When an environment's canary analysis fails or ends inconclusive: once
   * per analysis and verdict (the stored status already had it otherwise).
   * The scope names the analysis, so a second replica that saw the same
   * change updates it instead of adding one.
   */
  async canaryVerdict(
    target: Target,
    status: EnvironmentStatus,
    before: EnvironmentStatus | undefined,
  ) {
    const canary = status.canary;
    if (
      !canary ||
      (canary.phase !== 'failed' && canary.phase !== 'inconclusive')
    ) {
      return;
    }
    const known = before?.canary;
    if (
      known &&
      known.kind === canary.kind &&
      known.name === canary.name &&
      known.revision === canary.revision &&
      known.phase === canary.phase
    ) {
      return;
    }
    await this.send(target, status.name, {
      topic: NOTIFICATION_TOPICS.canary,
      title: `${titleOf(target.entity)}: the canary analysis in ${
        status.name
      } ${canary.phase === 'failed' ? 'failed' : 'was inconclusive'}`,
      description: `${describeCanary(canary)}. Promotion from ${
        status.name
      } is refused until an analysis succeeds.`,
      severity: canary.phase === 'failed' ? 'high' : 'normal',
      scope: `ml-gitops:canary:${target.entityRef}:${status.name}:${
        canary.kind
      }:${canary.namespace}/${canary.name}:${canary.revision ?? ''}:${
        canary.phase
      }`,
    });
  }

  /**
   * Follows an environment that stays `unknown` or `missing`: since when,
   * without a break (unknown and missing count together: both say nothing
   * is known of what serves). Once that lasts `mlGitops.alerts.unknownAfter`
   * the owners are notified, once; when it is observed again, and only if
   * they were told, they hear that too (the same notification scope, so it
   * replaces the alert), and a later silence alerts anew. Returns what to
   * keep beside the status.
   */
  async trackSilence(
    target: Target,
    status: EnvironmentStatus,
    before: Silence | undefined,
    now: Date,
  ): Promise<Silence | undefined> {
    const { state, since, reason } = status.drift;
    const title = titleOf(target.entity);
    const scope = `ml-gitops:silent:${target.entityRef}:${status.name}`;
    if (state !== 'unknown' && state !== 'missing') {
      if (before?.notifiedAt) {
        await this.send(target, status.name, {
          topic: NOTIFICATION_TOPICS.stale,
          title: `${title}: ${status.name} is observed again`,
          description: `It was unknown or missing from ${
            before.since
          } to ${now.toISOString()}. Now ${state}.`,
          severity: 'normal',
          scope,
        });
      }
      return undefined;
    }
    // A source failure knows when it began; otherwise this poll is the first
    // to see it.
    const began =
      state === 'unknown' && since && Date.parse(since) <= now.getTime()
        ? new Date(since).toISOString()
        : now.toISOString();
    const silence: Silence = before ?? { since: began };
    const lasted = now.getTime() - Date.parse(silence.since);
    if (silence.notifiedAt || lasted < this.deps.config.unknownAfterMs) {
      return silence;
    }
    await this.send(target, status.name, {
      topic: NOTIFICATION_TOPICS.stale,
      title: `${title}: ${status.name} has been ${state} for ${formatSeconds(
        lasted / 1000,
      )}`,
      description: `Nothing tells what serves in ${status.name} since ${
        silence.since
      }: ${
        reason ?? state
      }. ML GitOps says so once; it tells again when the environment is observed.`,
      severity: this.severityOf(status.name),
      scope,
    });
    return { ...silence, notifiedAt: now.toISOString() };
  }

  /** An environment began to drift (a new drift episode). */
  async driftStarted(target: Target, status: EnvironmentStatus) {
    await this.send(target, status.name, {
      topic: NOTIFICATION_TOPICS.drift,
      title: `${titleOf(target.entity)}: ${status.name} has drifted from Git`,
      description: status.drift.reason,
      severity: this.severityOf(status.name),
    });
  }

  /** A drift episode ended. */
  async driftEnded(
    target: Target,
    status: EnvironmentStatus,
    closed: { startedAt: string; endedAt?: string; reason: string },
  ) {
    await this.send(target, status.name, {
      topic: NOTIFICATION_TOPICS.drift,
      title: `${titleOf(target.entity)}: ${
        status.name
      } is back in line with Git`,
      description: `Drifted from ${closed.startedAt} to ${closed.endedAt}: ${closed.reason}. Now ${status.drift.state}.`,
      severity: 'normal',
    });
  }
}
