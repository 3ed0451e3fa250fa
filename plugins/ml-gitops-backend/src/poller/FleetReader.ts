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

// Reads the fleet's live state, keeps the last read for the polls right after it, and applies the watches' reports to it.

import { LoggerService } from '@backstage/backend-plugin-api';
import { CanaryAnalysis } from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import { forEachInTurns } from '../lib/turns';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { ServingChanges } from '../providers/kubernetes/ServingWatch';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { SourceFailures } from './failures';
import { applyServingChangesTo, applySourceChangesTo } from './fleetChanges';
import { FleetObservations, fleetKey, sourceName } from './fleetObservations';
import { PollHealth } from './PollHealth';

/** A change the watches made to the fleet, replayed onto a read that ran meanwhile. */
type FleetChange = (fleet: FleetObservations) => Set<string>;

/**
 * Reads the live state of the whole fleet: one list call per deployment
 * source (Argo CD instance, Flux cluster), the serving objects and canary
 * analyses of every cluster; and keeps the last read for the polls that
 * come right after it.
 */
export class FleetReader {
  /** The last fleet read and when it began. */
  private cache?: { at: number; fleet: Promise<FleetObservations> };
  /**
   * The newest fleet read, kept up to date by the watches in place (so a
   * cycle still resolving models sees what they report), and when its read
   * began.
   */
  private live?: { at: number; fleet: FleetObservations };
  /** The watches' changes since each running read began, replayed onto it. */
  private readonly journals = new Set<FleetChange[]>();

  constructor(
    private readonly deps: {
      logger: LoggerService;
      sources: DeploymentSource[];
      servingVersions?: ServingVersions;
      canaryAnalyses?: CanaryAnalyses;
      failures: SourceFailures;
      health: PollHealth;
      /** When each deployment source last answered (`argocd:main` → ISO time). */
      sourceSeen: Map<string, string>;
      refreshMinIntervalMs: number;
      now: () => Date;
    },
  ) {}

  /** The fleet read of a scheduled cycle, kept for polls right after it. */
  scheduled(): Promise<FleetObservations> {
    return this.readAndKeep(Date.now());
  }

  /**
   * The fleet's operator state for polls outside the schedule: the one
   * read within `refreshMinInterval` is reused, so a push to a repo of
   * many models, or a burst of refreshes, lists every Argo CD instance and
   * cluster once, not once per model. A trailing poll (`fresh`) serves
   * requests that came while an earlier read ran, so it never reuses one.
   */
  recent(fresh = false): Promise<FleetObservations> {
    const now = Date.now();
    const cached = this.cache;
    if (!fresh && cached && now - cached.at < this.deps.refreshMinIntervalMs) {
      return cached.fleet;
    }
    return this.readAndKeep(now);
  }

  private readAndKeep(at: number): Promise<FleetObservations> {
    const journal: FleetChange[] = [];
    this.journals.add(journal);
    const fleet = this.read().then(
      read => {
        this.journals.delete(journal);
        // What the watches reported while the lists ran is newer than them.
        for (const change of journal) change(read);
        if (!this.live || this.live.at <= at) {
          this.live = { at, fleet: read };
        }
        return read;
      },
      error => {
        this.journals.delete(journal);
        throw error;
      },
    );
    const entry = { at, fleet };
    this.cache = entry;
    fleet.catch(() => {
      if (this.cache === entry) this.cache = undefined;
    });
    return fleet;
  }

  /**
   * The newest fleet read with the watches' changes since, or undefined
   * before the first read (the first cycle reads the whole fleet anyway).
   */
  current(): FleetObservations | undefined {
    return this.live?.fleet;
  }

  /**
   * Applies a change to the newest read and to the reads running now;
   * returns the models whose observations changed in the newest read.
   */
  private apply(change: FleetChange): Set<string> {
    for (const journal of this.journals) journal.push(change);
    return this.live ? change(this.live.fleet) : new Set();
  }

  /**
   * Applies what a deployment source's watch reported (see
   * {@link applySourceChangesTo}); returns the models whose observations
   * changed.
   */
  applySourceChanges(
    source: DeploymentSource,
    changes: LiveObservationChanges,
  ): Set<string> {
    this.deps.sourceSeen.set(sourceName(source), this.deps.now().toISOString());
    return this.apply(fleet => applySourceChangesTo(fleet, source, changes));
  }

  /**
   * Applies what a cluster's InferenceService watch reported (see
   * {@link applyServingChangesTo}); returns the models whose serving objects
   * changed.
   */
  applyServingChanges(changes: ServingChanges): Set<string> {
    const observedAt = this.deps.now().toISOString();
    return this.apply(fleet =>
      applyServingChangesTo(fleet, changes, observedAt),
    );
  }

  private async read(): Promise<FleetObservations> {
    const { logger, failures: failing, health } = this.deps;
    const observedAt = this.deps.now().toISOString();
    const byKey = new Map<string, LiveObservation>();
    const sources = new Map<string, DeploymentSource>();
    const failures: FleetObservations['failures'] = [];
    const serving = this.deps.servingVersions
      ? this.deps.servingVersions.read()
      : Promise.resolve(undefined);
    // The canaries reuse the InferenceServices the serving versions list.
    const canaryRead = this.deps.canaryAnalyses?.read(
      serving.then(
        result => result?.inferenceServices,
        () => undefined,
      ),
    );
    await Promise.all(
      this.deps.sources.map(async source => {
        const name = sourceName(source);
        try {
          const observations = await source.listObservations();
          failing.recover(name);
          this.deps.sourceSeen.set(name, observedAt);
          health.succeeded(name, source.kind, observedAt);
          await forEachInTurns(observations, observation => {
            const k = fleetKey(observation.model, observation.environment);
            byKey.set(k, observation);
            sources.set(k, source);
          });
        } catch (error) {
          const failure = failing.fail(name, error);
          failures.push({ source: name, failure });
          health.failed(name, source.kind, failure, observedAt);
          logger.warn(`Polling ${name} failed: ${failure.message}`);
        }
      }),
    );
    // The serving objects' labels are the best source of the live version;
    // without them the manifest at the synced revision is read instead.
    const servingResult = await serving;
    for (const cluster of servingResult?.inferenceServices.keys() ?? []) {
      failing.recover(`cluster:${cluster}`);
      health.succeeded(`cluster:${cluster}`, 'cluster', observedAt);
    }
    for (const f of servingResult?.failures ?? []) {
      const failure = failing.fail(`cluster:${f.cluster}`, f.error);
      health.failed(`cluster:${f.cluster}`, 'cluster', failure, observedAt);
      logger.warn(
        `Reading serving objects on cluster ${f.cluster} failed: ${f.error.message}`,
      );
    }
    const filled = new Set<string>();
    await forEachInTurns([...byKey], ([k, observation]) => {
      const version = servingResult?.versions.get(k);
      if (observation.liveVersion === undefined && version !== undefined) {
        byKey.set(k, { ...observation, liveVersion: version });
        filled.add(k);
      }
    });
    const canaryResult = await canaryRead?.catch(error => ({
      byKey: new Map<string, CanaryAnalysis>(),
      failures: [{ cluster: '*', error: error as Error }],
      analysisRuns: undefined,
    }));
    for (const f of canaryResult?.failures ?? []) {
      logger.warn(
        `Reading canary analyses on cluster ${f.cluster} failed: ${f.error.message}`,
      );
    }
    const canaries = canaryResult
      ? { byKey: canaryResult.byKey, failed: canaryResult.failures.length > 0 }
      : undefined;
    const clusters = servingResult
      ? [
          ...servingResult.inferenceServices.keys(),
          ...servingResult.failures.map(f => f.cluster),
        ]
      : undefined;
    return {
      byKey,
      observedAt,
      sources,
      failures,
      canaries,
      clusters,
      ...(servingResult
        ? {
            serving: {
              byKey: servingResult.serving,
              failed: servingResult.failures.length > 0,
            },
            served: {
              inferenceServices: servingResult.inferenceServices,
              analysisRuns: canaryResult?.analysisRuns,
              versions: servingResult.versions,
              filled,
            },
          }
        : {}),
    };
  }
}
