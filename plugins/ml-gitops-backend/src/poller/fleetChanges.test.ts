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

import { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
import {
  analysisRun,
  inferenceService,
} from '../providers/canary/__testUtils__/fixtures';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { KubeObject } from '../providers/kubernetes/KubernetesClusters';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { applyServingChangesTo } from './fleetChanges';
import { FleetObservations, fleetKey } from './fleetObservations';

const OBSERVED_AT = '2026-12-06T10:00:00Z';
const CLUSTERS = ['eu', 'us'];
const MODELS = ['churn', 'ranker', 'fraud'];
const ENVIRONMENTS = ['staging', 'production'];

/** A seeded sequence: the same every run. */
function randomFrom(start: number) {
  let seed = start;
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    // the high bits: the low bits of this generator repeat quickly
    return Math.floor((seed / 2147483648) * n);
  };
}

function servingObject(
  random: (n: number) => number,
  cluster: string,
  slot: number,
): KubeObject {
  const model = MODELS[random(MODELS.length)];
  const object = inferenceService({
    name: model,
    environment: ENVIRONMENTS[random(ENVIRONMENTS.length)],
    version: String(1 + random(3)),
    ...(random(3) === 0 ? { canaryTrafficPercent: 10 * (1 + random(5)) } : {}),
    ...(random(4) === 0
      ? { conditions: [{ type: 'Ready', status: 'False', reason: 'Failed' }] }
      : {}),
  });
  // Two objects of one model environment may stand in one cluster.
  return {
    ...object,
    metadata: { ...object.metadata, name: `${model}-${cluster}-${slot}` },
  } as KubeObject;
}

/** What the poll's read makes of these lists, as the fleet holds it. */
function read(
  lists: Map<string, KubeObject[]>,
  analysisRuns: Map<string, unknown[]>,
) {
  const versions = new Map<string, string>();
  const serving = new Map<string, ServingStatus>();
  for (const [cluster, items] of lists) {
    ServingVersions.summarize(items, cluster, versions, serving);
  }
  return {
    versions,
    serving,
    canaries: CanaryAnalyses.combine(analysisRuns, lists, OBSERVED_AT),
  };
}

function summaryOf(items: KubeObject[], cluster: string) {
  const versions = new Map<string, string>();
  const serving = new Map<string, ServingStatus>();
  ServingVersions.summarize(items, cluster, versions, serving);
  return { versions, serving };
}

describe('applyServingChangesTo', () => {
  it('keeps the fleet as a fresh read of every cluster would make it, looking only at what a report names', () => {
    const random = randomFrom(11);
    const lists = new Map(
      CLUSTERS.map(cluster => [
        cluster,
        Array.from({ length: 4 }, (_, slot) =>
          servingObject(random, cluster, slot),
        ),
      ]),
    );
    const analysisRuns = new Map<string, unknown[]>([
      [
        'eu',
        [
          analysisRun({
            name: 'ranker-run',
            model: 'ranker',
            environment: 'production',
            phase: 'Running',
          }),
        ],
      ],
      ['us', []],
    ]);
    const first = read(lists, analysisRuns);
    // Observations without a live version take the serving objects'.
    const byKey = new Map(
      MODELS.flatMap(model =>
        ENVIRONMENTS.map(environment => {
          const k = fleetKey(model, environment);
          const observation = {
            model,
            environment,
            application: `${model}-${environment}`,
            syncStatus: 'Synced',
            healthStatus: 'Healthy',
            ...(first.versions.has(k)
              ? { liveVersion: first.versions.get(k) }
              : {}),
          };
          return [k, observation] as const;
        }),
      ),
    );
    const fleet = {
      byKey,
      observedAt: OBSERVED_AT,
      sources: new Map(),
      failures: [],
      serving: { byKey: first.serving, failed: false },
      canaries: { byKey: first.canaries, failed: false },
      served: {
        inferenceServices: new Map(lists),
        analysisRuns,
        versions: first.versions,
        filled: new Set(first.versions.keys()),
      },
    } as unknown as FleetObservations;

    for (let step = 0; step < 80; step++) {
      const cluster = CLUSTERS[random(CLUSTERS.length)];
      const before = lists.get(cluster)!;
      const after = [...before];
      const slot = random(6);
      const touched = new Set<string>();
      const old = after.find(o => o.metadata.name.endsWith(`-${slot}`));
      if (old) {
        touched.add(ServingVersions.keyOf(old)!);
        after.splice(after.indexOf(old), 1);
      }
      if (!old || random(3) !== 0) {
        const object = servingObject(random, cluster, slot);
        touched.add(ServingVersions.keyOf(object)!);
        after.push(object);
      }
      const beforeRead = read(lists, analysisRuns);
      lists.set(cluster, after);
      const summaryBefore = summaryOf(before, cluster);
      const summaryAfter = summaryOf(after, cluster);
      const changed = [...touched].filter(
        k =>
          summaryBefore.versions.get(k) !== summaryAfter.versions.get(k) ||
          JSON.stringify(summaryBefore.serving.get(k)) !==
            JSON.stringify(summaryAfter.serving.get(k)),
      );

      const models = applyServingChangesTo(
        fleet,
        {
          cluster,
          inferenceServices: after,
          versions: summaryAfter.versions,
          serving: summaryAfter.serving,
          changed,
          touched: [...touched],
          complete: false,
        },
        OBSERVED_AT,
      );

      const expected = read(lists, analysisRuns);
      expect(fleet.served!.versions).toEqual(expected.versions);
      expect(fleet.serving!.byKey).toEqual(expected.serving);
      expect(fleet.canaries!.byKey).toEqual(expected.canaries);
      for (const [k, observation] of fleet.byKey) {
        expect(observation.liveVersion).toBe(expected.versions.get(k));
      }
      const moved = new Set(
        [...new Set([...beforeRead.serving.keys(), ...expected.serving.keys()])]
          .filter(
            k =>
              beforeRead.versions.get(k) !== expected.versions.get(k) ||
              JSON.stringify(beforeRead.serving.get(k)) !==
                JSON.stringify(expected.serving.get(k)),
          )
          .map(k => k.slice(0, k.indexOf('\u0000'))),
      );
      expect([...models].sort()).toEqual([...moved].sort());
    }
  });
});
