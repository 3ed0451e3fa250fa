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
  NOTIFICATION_TOPICS,
  notifyEntityOwners,
} from '../notifications/OwnerNotifier';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { isError } from '@backstage/errors';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  autoRollbackAnnotation,
  DEFAULT_MANIFEST_PATH,
  Deployment,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ChangeSteps,
  ConfigRepoLocation,
  GitHostWriter,
  MlGitopsRegistryConfig,
  openPullRequestsOfKind,
  proposeRollback,
  registryAccess,
  RollbackRefusedError,
} from '@ml-gitops/plugin-ml-gitops-node';
import { AutoRollbackStore, IncidentKey } from '../database/AutoRollbackStore';
import { AutoRollbackConfig } from './config';
import { RollbackFailure, rollbackDecision } from './rules';

/** How long a failed attempt waits before the next one. */
const RETRY_AFTER_MS = 5 * 60_000;
/** How long a skipped incident (someone else's rollback is open) waits before a new look. */
const SKIPPED_RECHECK_MS = 10 * 60_000;
/** An attempt that has not finished after this long stopped (its replica did). */
const STALE_ATTEMPT_MS = 10 * 60_000;

/** Who the automatic rollback's commits and rejections are made by. */
export const AUTO_ROLLBACK_AUTHOR = {
  name: 'ML GitOps',
  email: 'ml-gitops@users.noreply.backstage.io',
};
export const AUTO_ROLLBACK_ACTOR = 'ml-gitops:auto-rollback';

function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

/** One environment of one model, as the poller computed it this cycle. */
export type AutoRollbackInput = {
  entityRef: string;
  entity: Entity;
  model: string;
  loc: ConfigRepoLocation;
  manifestPath: string;
  registryName?: string;
  status: EnvironmentStatus;
};

/**
 * The automatic rollback (issue #14): when an opted-in model's declared
 * version fails in an environment where it is enabled (see
 * `mlGitops.autoRollback`), opens the rollback pull request itself through
 * the same code as the `ml-gitops:rollback` action, as the Git integration
 * (the GitHub App), and tells the owners. Merging stays with people.
 *
 * One pull request per incident (environment and declaring commit): the
 * incident is claimed in the database before anything is pushed, so cycles,
 * restarts and replicas act once; an open rollback pull request on the Git
 * host (anyone's) also holds it back.
 */
export class AutoRollback {
  private readonly problemsWarned = new Set<string>();

  constructor(
    private readonly deps: {
      config: {
        environments: string[];
        registries: MlGitopsRegistryConfig[];
        autoRollback: AutoRollbackConfig;
      };
      incidents: AutoRollbackStore;
      /** The recorded deployment of a commit, for the rules. */
      deploymentOf(
        entityRef: string,
        environment: string,
        commit: string,
      ): Promise<Deployment | undefined>;
      writer: GitHostWriter;
      logger: LoggerService;
      notifications?: NotificationService;
      now?: () => Date;
      /** Tests clone from a local bare repository. */
      remoteUrl?: (loc: ConfigRepoLocation) => string;
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Whether the model takes part: its annotation, else `allModels`. */
  private optedIn(entityRef: string, entity: Entity): boolean {
    const { optIn, problem } = autoRollbackAnnotation(entity);
    if (problem && !this.problemsWarned.has(entityRef)) {
      this.problemsWarned.add(entityRef);
      this.deps.logger.warn(
        `Automatic rollback is off for ${entityRef}: ${problem}`,
      );
    }
    if (problem) return false;
    return optIn ?? this.deps.config.autoRollback.allModels;
  }

  /**
   * Looks at one environment after the poller computed its status, and
   * rolls it back when the rules say so. Never throws: a failure is logged
   * and retried at a later cycle.
   */
  async consider(input: AutoRollbackInput): Promise<void> {
    try {
      await this.considerOrThrow(input);
    } catch (error) {
      this.deps.logger.warn(
        `Automatic rollback of ${input.entityRef} in ${
          input.status.name
        } failed: ${errorMessage(error)}`,
      );
    }
  }

  private async considerOrThrow(input: AutoRollbackInput): Promise<void> {
    const { entityRef, entity, status } = input;
    const settings = this.deps.config.autoRollback.environments[status.name];
    const declared = status.declared;
    if (!settings?.enabled || !declared) return;
    if (!this.optedIn(entityRef, entity)) return;
    const now = this.now();
    // The quick answer first: no failure, no database.
    const quick = rollbackDecision({ status, settings, now });
    if (quick.action === 'none') return;

    const key: IncidentKey = {
      entityRef,
      environment: status.name,
      declaredCommit: declared.commit,
    };
    const known = await this.deps.incidents.get(key);
    if (known && !this.due(known, now)) return;

    const deployment = await this.deps.deploymentOf(
      entityRef,
      status.name,
      declared.commit,
    );
    const decision = rollbackDecision({ status, settings, now, deployment });
    if (decision.action !== 'roll-back') return;

    const nowIso = now.toISOString();
    const claimed = await this.deps.incidents.claim(
      {
        ...key,
        version: declared.version,
        trigger: decision.failure.kind,
        reason: decision.failure.reason,
      },
      nowIso,
      new Date(now.getTime() - STALE_ATTEMPT_MS).toISOString(),
    );
    if (!claimed) return;
    await this.attempt(input, key, decision.failure, settings.rejectVersion);
  }

  /** Whether a known incident may be tried again now. */
  private due(
    incident: { state: string; retryAt?: string; updatedAt: string },
    now: Date,
  ): boolean {
    if (incident.state === 'opening') {
      return Date.parse(incident.updatedAt) <= now.getTime() - STALE_ATTEMPT_MS;
    }
    return (
      (incident.state === 'failed' || incident.state === 'skipped') &&
      incident.retryAt !== undefined &&
      Date.parse(incident.retryAt) <= now.getTime()
    );
  }

  private async attempt(
    input: AutoRollbackInput,
    key: IncidentKey,
    failure: RollbackFailure,
    rejectVersion: boolean,
  ) {
    const { entityRef, status, loc, manifestPath, model } = input;
    const environment = status.name;
    const version = status.declared!.version;
    const { logger, writer, incidents } = this.deps;
    const finish = (
      outcome: Parameters<AutoRollbackStore['finish']>[1],
    ): Promise<void> =>
      incidents.finish(key, outcome, this.now().toISOString());

    // Someone (a person, or an earlier run of ours) is already rolling
    // back: their pull request stands, and a new look comes later.
    const open = await openPullRequestsOfKind(
      writer,
      {
        kind: 'rollback',
        loc,
        base: environment,
        ...(manifestPath === DEFAULT_MANIFEST_PATH ? {} : { model }),
      },
      this.deps.config.environments,
    );
    if (open.length > 0) {
      const pull = open[0];
      logger.info(
        `Not rolling back ${entityRef} in ${environment} automatically: rollback pull request #${pull.number} is open (${pull.url})`,
      );
      await finish({
        state: 'skipped',
        detail: `rollback pull request #${pull.number} is already open: ${pull.url}`,
        retryAt: new Date(
          this.now().getTime() + SKIPPED_RECHECK_MS,
        ).toISOString(),
      });
      return;
    }

    const steps: ChangeSteps = {
      logger: {
        info: message =>
          logger.info(`Automatic rollback of ${entityRef}: ${message}`),
        warn: message =>
          logger.warn(`Automatic rollback of ${entityRef}: ${message}`),
      },
      checkpoint: async ({ fn }) => fn(),
    };
    try {
      const result = await proposeRollback(
        {
          writer,
          environments: this.deps.config.environments,
          registryFor: options =>
            registryAccess(this.deps.config.registries, options),
          remoteUrl: this.deps.remoteUrl,
        },
        {
          loc,
          manifestPath,
          environment,
          model,
          registryName: input.registryName,
          reason: failure.reason,
          rejectVersion,
          author: AUTO_ROLLBACK_AUTHOR,
          rejectedBy: AUTO_ROLLBACK_ACTOR,
          openedBy: `_Opened automatically by ML GitOps for ${entityRef}: ${
            failure.kind === 'canary-failed'
              ? 'its canary analysis failed'
              : 'the declared version did not serve in time'
          }. Merging stays a human decision._`,
          expectVersion: version,
          refuseWhenDeclaredByRollback: true,
        },
        steps,
      );
      const pull = result.pullRequest!;
      await finish({ state: 'opened', pullRequest: pull });
      logger.info(
        `Opened automatic rollback pull request #${pull.number} for ${entityRef} in ${environment}: ${result.rolledBackFrom} → ${result.previousVersion} (${pull.url})`,
      );
      await this.notify(input, {
        title: `${this.title(
          input,
        )}: automatic rollback of ${environment} proposed (${
          result.rolledBackFrom
        } → ${result.previousVersion})`,
        description: `${failure.reason}. Pull request #${pull.number} brings back version ${result.previousVersion}; merging it is up to you.`,
        severity: 'high',
        link: pull.url,
        key,
      });
    } catch (error) {
      if (error instanceof RollbackRefusedError) {
        if (error.refusal === 'no-candidate') {
          await finish({ state: 'no-candidate', detail: error.message });
          await this.notify(input, {
            title: `${this.title(
              input,
            )}: no automatic rollback of ${environment}, no version to go back to`,
            description: `${failure.reason}. ${error.message}`,
            severity: 'high',
            key,
          });
        } else {
          await finish({ state: 'skipped', detail: error.message });
        }
        logger.info(
          `Not rolling back ${entityRef} in ${environment} automatically: ${error.message}`,
        );
        return;
      }
      const incident = await incidents.get(key);
      await finish({
        state: 'failed',
        detail: errorMessage(error),
        retryAt: new Date(this.now().getTime() + RETRY_AFTER_MS).toISOString(),
      });
      logger.warn(
        `Automatic rollback of ${entityRef} in ${environment} failed, retried in ${
          RETRY_AFTER_MS / 60_000
        } min: ${errorMessage(error)}`,
      );
      // The owners hear of the first failure; retries stay in the log.
      if ((incident?.attempts ?? 1) <= 1) {
        await this.notify(input, {
          title: `${this.title(
            input,
          )}: the automatic rollback of ${environment} could not open its pull request`,
          description: `${failure.reason}. ${errorMessage(
            error,
          )}. It is tried again every ${
            RETRY_AFTER_MS / 60_000
          } minutes; roll back from the ML GitOps tab to act now.`,
          severity: 'high',
          key,
        });
      }
    }
  }

  private title(input: AutoRollbackInput): string {
    return input.entity.metadata.title ?? input.entity.metadata.name;
  }

  private async notify(
    input: AutoRollbackInput,
    payload: {
      title: string;
      description: string;
      severity: 'high' | 'normal';
      link?: string;
      key: IncidentKey;
    },
  ) {
    const { entity, entityRef } = input;
    await notifyEntityOwners(
      this.deps,
      { entity, entityRef },
      {
        topic: NOTIFICATION_TOPICS.rollback,
        scope: `ml-gitops:auto-rollback:${entityRef}:${payload.key.environment}:${payload.key.declaredCommit}`,
        title: payload.title,
        description: payload.description,
        severity: payload.severity,
        ...(payload.link ? { link: payload.link } : {}),
      },
    );
  }
}
