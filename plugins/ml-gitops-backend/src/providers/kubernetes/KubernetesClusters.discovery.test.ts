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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { CanaryAnalyses } from '../canary/CanaryAnalyses';
import {
  analysisRun,
  inferenceService,
  KUBE,
  kubeList,
  kubeStatus,
} from '../canary/__testUtils__/fixtures';
import {
  DISCOVERY_TTL_MS,
  KubernetesClusterClient,
  NOT_SERVED_TTL_MS,
} from './KubernetesClusters';
import { ServingVersions } from './ServingVersions';

/*
 * The discovery cache counted in requests. Shapes: the APIGroup document of
 * `GET /apis/<group>` (APIGroup in k8s.io/apimachinery/pkg/apis/meta/v1
 * types.go: versions in priority order, preferredVersion), the lists of
 * `GET /apis/<group>/<version>/<plural>` and the metav1.Status of a 404 for a
 * resource the API server does not serve (Kubernetes "API concepts").
 */

const notFound = () =>
  HttpResponse.json(
    kubeStatus(
      404,
      'NotFound',
      'the server could not find the requested resource',
    ),
    { status: 404 },
  );

/** An APIGroup with its versions, the first one preferred. */
function apiGroup(group: string, versions: string[]) {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: versions.map(version => ({
      groupVersion: `${group}/${version}`,
      version,
    })),
    preferredVersion: {
      groupVersion: `${group}/${versions[0]}`,
      version: versions[0],
    },
  };
}

/**
 * A cluster whose served API groups and versions a test changes (a CRD
 * installed, upgraded or removed), counting every request by path.
 */
function cluster(served: Record<string, string[]>) {
  const requests: string[] = [];
  const handlers = [
    http.get(`${KUBE}/apis/:group`, ({ params }) => {
      const group = String(params.group);
      requests.push(`/apis/${group}`);
      const versions = served[group];
      return versions
        ? HttpResponse.json(apiGroup(group, versions))
        : notFound();
    }),
    http.get(`${KUBE}/apis/:group/:version/:plural`, ({ params }) => {
      const group = String(params.group);
      const version = String(params.version);
      const plural = String(params.plural);
      requests.push(`/apis/${group}/${version}/${plural}`);
      if (!served[`${plural}.${group}`]?.includes(version)) {
        return notFound();
      }
      if (plural === 'inferenceservices') {
        return HttpResponse.json(
          kubeList('InferenceService', `${group}/${version}`, [
            inferenceService({ name: 'fraud-detector', version: '12' }),
          ]),
        );
      }
      return HttpResponse.json(
        kubeList('AnalysisRun', `${group}/${version}`, [
          analysisRun({ name: 'fraud-detector-canary-1' }),
        ]),
      );
    }),
  ];
  return {
    requests,
    handlers,
    served,
    discovery: () => requests.filter(r => r.split('/').length === 3),
    lists: () => requests.filter(r => r.split('/').length === 5),
  };
}

/** Both groups the poller reads, as a cluster with KServe and Argo Rollouts serves them. */
const BOTH = {
  'serving.kserve.io': ['v1beta1'],
  'inferenceservices.serving.kserve.io': ['v1beta1'],
  'argoproj.io': ['v1alpha1'],
  'analysisruns.argoproj.io': ['v1alpha1'],
};

describe('KubernetesClusterClient discovery cache', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  registerContractChecks(server);

  let now = Date.parse('2026-12-06T12:00:00Z');
  const client = () =>
    KubernetesClusterClient.create(
      { name: 'prod-eu', url: KUBE, token: 'sa-token', skipTLSVerify: false },
      { now: () => now },
    );

  /** One poll cycle's cluster reads, as the poller makes them. */
  async function cycle(c: KubernetesClusterClient) {
    const serving = new ServingVersions([c]);
    const canaries = new CanaryAnalyses([c]);
    const read = serving.read();
    const [servingResult, canaryResult] = await Promise.all([
      read,
      canaries.read(read.then(r => r.inferenceServices)),
    ]);
    now += 30_000;
    return { servingResult, canaryResult };
  }

  it('sends no discovery request in steady cycles: one list per kind', async () => {
    const k = cluster({ ...BOTH });
    server.use(...k.handlers);
    const c = client();

    const first = await cycle(c);
    expect(first.servingResult.failures).toEqual([]);
    expect(first.servingResult.versions.size).toBe(1);
    expect(first.canaryResult.failures).toEqual([]);
    expect(k.discovery().sort()).toEqual([
      '/apis/argoproj.io',
      '/apis/serving.kserve.io',
    ]);
    expect(k.lists()).toHaveLength(2);

    k.requests.length = 0;
    for (let i = 0; i < 10; i++) await cycle(c);
    expect(k.discovery()).toEqual([]);
    expect(k.lists()).toHaveLength(20);
    expect(
      k.lists().filter(r => r.endsWith('/inferenceservices')),
    ).toHaveLength(10);
  });

  it('shares one discovery request between callers asking at once', async () => {
    const k = cluster({ ...BOTH });
    server.use(...k.handlers);
    const c = client();
    await Promise.all([
      c.preferredVersion('serving.kserve.io'),
      c.preferredVersion('serving.kserve.io'),
      c.listServed('serving.kserve.io', 'inferenceservices', 'ml-gitops/model'),
    ]);
    expect(k.discovery()).toEqual(['/apis/serving.kserve.io']);
  });

  it('discovers again at once when a list answers 404 after its CRD was removed', async () => {
    const k = cluster({ ...BOTH });
    server.use(...k.handlers);
    const c = client();
    await cycle(c);

    // Argo Rollouts uninstalled: its CRDs, and with them the group, are gone.
    delete k.served['argoproj.io'];
    delete k.served['analysisruns.argoproj.io'];
    k.requests.length = 0;
    const removed = await cycle(c);
    expect(removed.canaryResult.failures).toEqual([]);
    expect(k.requests.filter(r => r.includes('argoproj.io'))).toEqual([
      '/apis/argoproj.io/v1alpha1/analysisruns',
      '/apis/argoproj.io',
    ]);

    // Known not to be served: not asked again for ten minutes.
    k.requests.length = 0;
    await cycle(c);
    expect(k.requests).toEqual([
      '/apis/serving.kserve.io/v1beta1/inferenceservices',
    ]);

    // Installed again: found once the answer "not served" expires.
    Object.assign(k.served, BOTH);
    now += NOT_SERVED_TTL_MS;
    k.requests.length = 0;
    const back = await cycle(c);
    expect(back.canaryResult.byKey.size).toBe(1);
    expect(k.requests.sort()).toEqual([
      '/apis/argoproj.io',
      '/apis/argoproj.io/v1alpha1/analysisruns',
      '/apis/serving.kserve.io/v1beta1/inferenceservices',
    ]);
  });

  it('lists at the new version in the same call when a CRD upgrade removed the old one', async () => {
    const k = cluster({ ...BOTH });
    server.use(...k.handlers);
    const c = client();
    await cycle(c);

    k.served['serving.kserve.io'] = ['v1'];
    k.served['inferenceservices.serving.kserve.io'] = ['v1'];
    k.requests.length = 0;
    const upgraded = await cycle(c);
    expect(upgraded.servingResult.versions.size).toBe(1);
    expect(k.requests.filter(r => r.includes('serving.kserve.io'))).toEqual([
      '/apis/serving.kserve.io/v1beta1/inferenceservices',
      '/apis/serving.kserve.io',
      '/apis/serving.kserve.io/v1/inferenceservices',
    ]);
  });

  it('remembers a resource its group does not serve (Argo CD without Argo Rollouts)', async () => {
    const k = cluster({
      'serving.kserve.io': ['v1beta1'],
      'inferenceservices.serving.kserve.io': ['v1beta1'],
      // Argo CD's Applications make the group served; no AnalysisRun CRD.
      'argoproj.io': ['v1alpha1'],
    });
    server.use(...k.handlers);
    const c = client();
    const first = await cycle(c);
    expect(first.canaryResult.failures).toEqual([]);
    expect(k.requests.filter(r => r.includes('argoproj.io')).sort()).toEqual([
      '/apis/argoproj.io',
      '/apis/argoproj.io/v1alpha1/analysisruns',
    ]);

    k.requests.length = 0;
    for (let i = 0; i < 5; i++) await cycle(c);
    expect(k.requests.filter(r => r.includes('argoproj.io'))).toEqual([]);
  });

  it('asks discovery again once a served group has been cached for six hours', async () => {
    const k = cluster({ ...BOTH });
    server.use(...k.handlers);
    const c = client();
    await cycle(c);
    now += DISCOVERY_TTL_MS;
    k.requests.length = 0;
    await cycle(c);
    expect(k.discovery().sort()).toEqual([
      '/apis/argoproj.io',
      '/apis/serving.kserve.io',
    ]);
  });

  it('keeps no failed discovery: the next cycle asks again', async () => {
    let fail = true;
    const k = cluster({ ...BOTH });
    server.use(
      http.get(`${KUBE}/apis/serving.kserve.io`, () => {
        if (!fail) return undefined;
        k.requests.push('/apis/serving.kserve.io');
        return HttpResponse.json(
          kubeStatus(503, 'ServiceUnavailable', 'the server is shutting down'),
          { status: 503 },
        );
      }),
      ...k.handlers,
    );
    const c = client();
    const failed = await cycle(c);
    expect(failed.servingResult.failures.map(f => f.error.message)).toEqual([
      'Cluster "prod-eu" answered 503 to /apis/serving.kserve.io: the server is shutting down',
    ]);
    fail = false;
    k.requests.length = 0;
    const recovered = await cycle(c);
    expect(recovered.servingResult.failures).toEqual([]);
    expect(k.discovery()).toEqual(['/apis/serving.kserve.io']);
  });
});
