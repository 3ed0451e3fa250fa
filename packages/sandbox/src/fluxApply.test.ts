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
 * Server-side apply of Flux objects on the sandbox's Kubernetes API
 * (kubernetes.io "Server-Side Apply"): 201 for a new object, 200 after;
 * an unchanged apply keeps metadata.resourceVersion; kube-apiserver's
 * refusals for a missing fieldManager and mismatched names or namespaces.
 */

import { SANDBOX_CREDENTIALS } from './sandbox';
import { useSandbox } from './__testUtils__/useSandbox';

// Seeding the sandbox takes 5-20 s depending on machine load, as for every
// other suite that starts one.
jest.setTimeout(60_000);

const sandbox = useSandbox({ reconcileIntervalSeconds: 3600 });

const PATH =
  '/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/extra-source';

function gitRepository(interval = '1m') {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'extra-source', namespace: 'flux-system' },
    spec: {
      interval,
      url: `${sandbox().urls.git}/acme/fraud-detector-config.git`,
      ref: { branch: 'dev' },
    },
  };
}

async function apply(
  path: string,
  body: unknown,
  query = '?fieldManager=ml-gitops',
) {
  const res = await fetch(`${sandbox().urls.kubernetes}${path}${query}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
      'content-type': 'application/apply-patch+yaml',
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('server-side apply of Flux objects', () => {
  it('creates, leaves unchanged and updates, and answers GET with the applied object', async () => {
    const created = await apply(PATH, gitRepository());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'extra-source', namespace: 'flux-system' },
      spec: { interval: '1m', ref: { branch: 'dev' } },
    });
    const version = created.body.metadata.resourceVersion;

    const again = await apply(PATH, gitRepository());
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(version);

    // YAML is what the media type names
    const changed = await apply(
      PATH,
      `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: extra-source
spec:
  interval: 5m
  url: ${gitRepository().spec.url}
  ref: { branch: dev }
`,
    );
    expect(changed.status).toBe(200);
    expect(changed.body.metadata.resourceVersion).not.toBe(version);

    const res = await fetch(`${sandbox().urls.kubernetes}${PATH}`, {
      headers: {
        authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
      },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).spec.interval).toBe('5m');
  });

  it("refuses what kube-apiserver refuses, and namespaces the sandbox's Flux does not watch", async () => {
    expect(await apply(PATH, gitRepository(), '')).toMatchObject({
      status: 422,
      body: {
        kind: 'Status',
        reason: 'Invalid',
        message:
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      },
    });
    expect(
      await apply(PATH, {
        ...gitRepository(),
        metadata: { name: 'other', namespace: 'flux-system' },
      }),
    ).toMatchObject({
      status: 400,
      body: {
        message:
          'the name of the object (other) does not match the name on the URL (extra-source)',
      },
    });
    expect(
      await apply(PATH, {
        ...gitRepository(),
        metadata: { name: 'extra-source', namespace: 'gitops' },
      }),
    ).toMatchObject({
      status: 400,
      body: {
        message:
          'the namespace of the provided object does not match the namespace sent on the request',
      },
    });
    expect(
      await apply(PATH.replace('flux-system', 'gitops'), {
        ...gitRepository(),
        metadata: { name: 'extra-source' },
      }),
    ).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
    expect(
      await apply(
        '/apis/serving.kserve.io/v1beta1/namespaces/ml-dev/inferenceservices/fraud-detector',
        {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          metadata: { name: 'fraud-detector' },
        },
      ),
    ).toMatchObject({ status: 405 });
  });
});
