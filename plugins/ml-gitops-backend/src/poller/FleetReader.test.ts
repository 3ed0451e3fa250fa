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
import {
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { SourceFailures } from './failures';
import { fleetKey } from './fleetObservations';
import { FleetReader } from './FleetReader';
import { PollHealth } from './PollHealth';

/*
 * How the watches' reports change the fleet read between polls. The
 * deployment sources here are this plugin's own interface, answering what a
 * test says; the HTTP of Argo CD and the clusters is tested with msw in the
 * sources' and the plugin's tests.
 */

function observation(
  environment: string,
  overrides: Partial<LiveObservation> = {},
): LiveObservation {
  return {
    model: 'fraud-detector',
    environment,
    source: 'argocd',
    instance: 'main',
    application: `fraud-detector-${environment}`,
    syncStatus: 'Synced',
    healthStatus: 'Healthy',
    revision: 'c0ffee',
    operationRunning: false,
    ...overrides,
  };
}

/** A source whose list answers when the test says. */
function source(name: string) {
  let answer: (list: LiveObservation[]) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const s: DeploymentSource = {
    kind: 'argocd',
    instance: name,
    listObservations: () =>
      new Promise<LiveObservation[]>((resolve, reject) => {
        answer = resolve;
        fail = reject;
      }),
  };
  return {
    source: s,
    answer: (list: LiveObservation[]) => answer(list),
    fail: (error: Error) => fail(error),
  };
}

function reader(sources: DeploymentSource[]) {
  const now = () => new Date('2026-12-01T10:00:00Z');
  return new FleetReader({
    logger: mockServices.logger.mock(),
    sources,
    failures: new SourceFailures(now),
    health: new PollHealth(),
    sourceSeen: new Map(),
    refreshMinIntervalMs: 10_000,
    now,
  });
}

const key = (environment: string) => fleetKey('fraud-detector', environment);

describe('FleetReader: the watches between polls', () => {
  it('ignores reports before the first read', () => {
    const main = source('main');
    const fleet = reader([main.source]);
    expect(
      fleet.applySourceChanges(main.source, {
        observations: [observation('dev')],
        removed: [],
        complete: false,
      }),
    ).toEqual(new Set());
    expect(fleet.current()).toBeUndefined();
  });

  it('replays what a watch reported during a read onto that read', async () => {
    const main = source('main');
    const fleet = reader([main.source]);
    const first = fleet.scheduled();
    main.answer([observation('dev'), observation('production')]);
    await first;

    // A cycle lists again; while the list runs, production goes OutOfSync.
    const second = fleet.scheduled();
    const changed = fleet.applySourceChanges(main.source, {
      observations: [observation('production', { syncStatus: 'OutOfSync' })],
      removed: [],
      complete: false,
    });
    expect(changed).toEqual(new Set(['fraud-detector']));
    // The list was taken before the change reached it.
    main.answer([observation('dev'), observation('production')]);
    const read = await second;
    expect(read.byKey.get(key('production'))?.syncStatus).toBe('OutOfSync');
    expect(fleet.current()).toBe(read);
  });

  it('reports no model when the watch repeats what the list said', async () => {
    const main = source('main');
    const fleet = reader([main.source]);
    const read = fleet.scheduled();
    main.answer([observation('dev')]);
    await read;
    expect(
      fleet.applySourceChanges(main.source, {
        observations: [observation('dev')],
        removed: [],
        complete: false,
      }),
    ).toEqual(new Set());
  });

  it('removes an object only when the fleet holds that application from that source', async () => {
    const main = source('main');
    const other = source('other');
    const fleet = reader([main.source, other.source]);
    const read = fleet.scheduled();
    main.answer([observation('dev'), observation('staging')]);
    other.answer([
      observation('production', { instance: 'other', application: 'prod' }),
    ]);
    await read;

    const changed = fleet.applySourceChanges(main.source, {
      observations: [],
      removed: [
        // another application of the same model environment
        { model: 'fraud-detector', environment: 'dev', application: 'old' },
        // held from the other source
        {
          model: 'fraud-detector',
          environment: 'production',
          application: 'prod',
        },
        { ...observation('staging') },
      ],
      complete: false,
    });
    expect(changed).toEqual(new Set(['fraud-detector']));
    const current = fleet.current()!;
    expect([...current.byKey.keys()].sort()).toEqual(
      [key('dev'), key('production')].sort(),
    );
  });

  it('drops what a complete set lacks, and the failure of its source', async () => {
    const main = source('main');
    const fleet = reader([main.source]);
    const failed = fleet.scheduled();
    main.fail(new Error('Argo CD answered 503'));
    expect((await failed).failures.map(f => f.source)).toEqual(['argocd:main']);

    // The stream (re)starts: every Application, the source answers again.
    fleet.applySourceChanges(main.source, {
      observations: [observation('dev')],
      removed: [],
      complete: true,
    });
    expect(fleet.current()!.failures).toEqual([]);
    expect(fleet.current()!.byKey.get(key('dev'))).toEqual(observation('dev'));

    fleet.applySourceChanges(main.source, {
      observations: [observation('staging')],
      removed: [],
      complete: true,
    });
    expect([...fleet.current()!.byKey.keys()]).toEqual([key('staging')]);
  });
});
