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

import { mockServices } from '@backstage/backend-test-utils';
import { LiveObservationChanges } from '@ml-gitops/plugin-ml-gitops-node';
import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from 'sandbox';
import { eventually } from '../__testUtils__/eventStreams';
import { ArgoCdSource } from './argocd/ArgoCdSource';
import { FluxSource } from './flux/FluxSource';
import { KubernetesClusterClient } from './kubernetes/KubernetesClusters';
import { ServingChanges, watchServing } from './kubernetes/ServingWatch';
import { ServingVersions } from './kubernetes/ServingVersions';

jest.setTimeout(60_000);

/**
 * The watches against the sandbox's emulation of Argo CD's event stream and
 * of Kubernetes watches: an out-of-band change reaches the watcher in well
 * under a poll period.
 */
describe('watches against the sandbox', () => {
  let sandbox: Sandbox;
  const controller = new AbortController();
  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      reconcileIntervalSeconds: 3600,
      rolloutSeconds: 0,
      log: () => {},
    });
  });
  afterAll(async () => {
    controller.abort();
    await sandbox?.stop();
  });

  const cluster = () =>
    KubernetesClusterClient.create({
      name: 'sandbox',
      url: sandbox.urls.kubernetes,
      token: SANDBOX_CREDENTIALS.kubernetes.token,
      skipTLSVerify: false,
    });

  it('Argo CD: a drift reaches the watch as the list would report it', async () => {
    const source = ArgoCdSource.fromConfig(
      {
        name: 'sandbox',
        url: sandbox.urls.argocd,
        username: SANDBOX_CREDENTIALS.argocd.username,
        password: SANDBOX_CREDENTIALS.argocd.password,
      },
      { logger: mockServices.logger.mock() },
    );
    const changes: LiveObservationChanges[] = [];
    source.watch(c => changes.push(c), controller.signal);
    const listed = await source.listObservations();
    // First every Application, as ADDED.
    await eventually(
      () =>
        changes.flatMap(c => c.observations).length >= listed.length &&
        listed.length > 0,
      'the ADDED events',
    );
    expect(
      changes
        .flatMap(c => c.observations)
        .sort((a, b) => a.application.localeCompare(b.application)),
    ).toEqual(listed);

    const seen = changes.length;
    const started = Date.now();
    sandbox.setDrift('fraud-detector', 'production', '2');
    await eventually(
      () =>
        changes
          .slice(seen)
          .some(c =>
            c.observations.some(
              o =>
                o.application === 'fraud-detector-production' &&
                o.syncStatus === 'OutOfSync',
            ),
          ),
      'the drift',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    const after = (await source.listObservations()).find(
      o => o.application === 'fraud-detector-production',
    );
    expect(
      changes
        .slice(seen)
        .flatMap(c => c.observations)
        .filter(o => o.application === 'fraud-detector-production')
        .pop(),
    ).toEqual(after);
  });

  it('Kubernetes: Flux objects and serving objects are watched, and a relabelled InferenceService reaches the watch', async () => {
    const client = cluster();
    const flux = new FluxSource(client, mockServices.logger.mock());
    const fluxChanges: LiveObservationChanges[] = [];
    flux.watch(c => fluxChanges.push(c), controller.signal);
    await eventually(() => fluxChanges.length > 0, 'the Flux list');
    expect(fluxChanges[0].complete).toBe(true);
    const byName = (a: { application: string }, b: { application: string }) =>
      a.application.localeCompare(b.application);
    expect([...fluxChanges[0].observations].sort(byName)).toEqual(
      (await flux.listObservations()).sort(byName),
    );

    const serving: ServingChanges[] = [];
    watchServing({
      clients: [client],
      onChange: c => serving.push(c),
      signal: controller.signal,
      logger: mockServices.logger.mock(),
    });
    await eventually(() => serving.length > 0, 'the serving list');
    const polled = await new ServingVersions([client]).read();
    expect(serving[0].versions).toEqual(polled.versions);

    const started = Date.now();
    sandbox.setDrift('recsys-ranker', 'staging', '1');
    const key = ServingVersions.key('recsys-ranker', 'staging');
    await eventually(
      () => serving.some(c => !c.complete && c.versions.get(key) === '1'),
      'the relabelled InferenceService',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(serving[serving.length - 1].changed).toContain(key);
  });
});
