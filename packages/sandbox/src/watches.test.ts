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

import { SANDBOX_CREDENTIALS } from './sandbox';
import { useSandbox } from './__testUtils__/useSandbox';

jest.setTimeout(60_000);

const KUBE = {
  Authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
};
const ARGO = { Authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}` };
const ISVC = '/apis/serving.kserve.io/v1beta1/inferenceservices';
const SELECTOR = `labelSelector=${encodeURIComponent(
  'ml-gitops/model=fraud-detector,ml-gitops/environment=dev',
)}`;

/** A streamed answer read line by line while the test goes on. */
class Lines {
  readonly lines: string[] = [];
  status = 0;
  contentType = '';
  ended = false;
  private readonly controller = new AbortController();

  constructor(url: string, headers: Record<string, string>) {
    void this.read(url, headers);
  }

  private async read(url: string, headers: Record<string, string>) {
    try {
      const response = await fetch(url, {
        headers,
        signal: this.controller.signal,
      });
      this.status = response.status;
      this.contentType = response.headers.get('content-type') ?? '';
      const decoder = new TextDecoder();
      let rest = '';
      for await (const chunk of response.body as any as AsyncIterable<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        const parts = rest.split('\n');
        rest = parts.pop()!;
        this.lines.push(...parts);
      }
    } catch {
      // closed by the test
    } finally {
      this.ended = true;
    }
  }

  /** The JSON lines (`data: ` stripped), in order. */
  json(): any[] {
    return this.lines
      .filter(l => l.trim() && !l.startsWith(':'))
      .map(l => JSON.parse(l.replace(/^data: /, '')));
  }

  async until(check: (lines: Lines) => boolean, what: string, ms = 10_000) {
    const end = Date.now() + ms;
    while (!check(this)) {
      if (Date.now() > end) {
        throw new Error(
          `timed out waiting for ${what}; got ${JSON.stringify(this.lines)}`,
        );
      }
      await new Promise(r => setTimeout(r, 20));
    }
  }

  close() {
    this.controller.abort();
  }
}

describe('Kubernetes watches', () => {
  const sandbox = useSandbox({
    reconcileIntervalSeconds: 3600,
    rolloutSeconds: 0,
  });
  const open: Lines[] = [];
  const watch = (query: string) => {
    const lines = new Lines(
      `${sandbox().urls.kubernetes}${ISVC}?${SELECTOR}&watch=1&${query}`,
      KUBE,
    );
    open.push(lines);
    return lines;
  };
  const afterThis: Array<() => void> = [];
  afterEach(() => {
    for (const lines of open.splice(0)) lines.close();
    for (const undo of afterThis.splice(0)) undo();
  });
  const list = async () =>
    (
      await fetch(`${sandbox().urls.kubernetes}${ISVC}?${SELECTOR}`, {
        headers: KUBE,
      })
    ).json();

  it('sends the changes after the list’s resource version, with bookmarks', async () => {
    const kube = sandbox().current().kube;
    const interval = kube.watches.bookmarkIntervalMs;
    kube.watches.bookmarkIntervalMs = 100;
    afterThis.push(() => {
      kube.watches.bookmarkIntervalMs = interval;
    });
    const listed = await list();
    expect(listed.items).toHaveLength(1);
    const lines = watch(
      `resourceVersion=${listed.metadata.resourceVersion}&allowWatchBookmarks=true`,
    );
    await lines.until(l => l.status === 200, 'the answer');
    expect(lines.contentType).toBe('application/json');
    sandbox().setDrift('fraud-detector', 'dev', '2');
    await lines.until(
      l => l.json().some(e => e.type === 'MODIFIED'),
      'the change',
    );
    const modified = lines.json().find(e => e.type === 'MODIFIED');
    expect(modified.object).toMatchObject({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: 'fraud-detector',
        namespace: 'ml-dev',
        labels: { 'ml-gitops/model-version': '2' },
      },
    });
    expect(Number(modified.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(listed.metadata.resourceVersion),
    );
    await lines.until(
      l => l.json().some(e => e.type === 'BOOKMARK'),
      'a bookmark',
    );
    const bookmark = lines.json().find(e => e.type === 'BOOKMARK');
    expect(bookmark.object).toEqual({
      kind: 'InferenceService',
      apiVersion: 'serving.kserve.io/v1beta1',
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
    sandbox().setDrift('fraud-detector', 'dev', null);
  });

  it('resumes from a resource version with what changed since, and only that', async () => {
    const listed = await list();
    sandbox().setDrift('fraud-detector', 'dev', '4');
    // Another model's change is not for this selector.
    sandbox().setDrift('churn-predictor', 'dev', '1');
    await new Promise(r => setTimeout(r, 300));
    const lines = watch(`resourceVersion=${listed.metadata.resourceVersion}`);
    await lines.until(l => l.json().length >= 1, 'the change since');
    await new Promise(r => setTimeout(r, 200));
    expect(lines.json().map(e => [e.type, e.object.metadata.name])).toEqual([
      ['MODIFIED', 'fraud-detector'],
    ]);
    sandbox().setDrift('fraud-detector', 'dev', null);
    sandbox().setDrift('churn-predictor', 'dev', null);
  });

  it('without a resource version sends every object as ADDED first', async () => {
    const lines = watch('');
    await lines.until(l => l.json().length === 1, 'the ADDED event');
    expect(lines.json()[0]).toMatchObject({
      type: 'ADDED',
      object: { metadata: { name: 'fraud-detector', namespace: 'ml-dev' } },
    });
  });

  it('answers a resource version older than its window with an ERROR 410 and ends', async () => {
    const kube = sandbox().current().kube;
    const size = kube.watches.windowSize;
    kube.watches.windowSize = 1;
    try {
      const listed = await list();
      for (const version of ['5', '6', '7']) {
        sandbox().setDrift('fraud-detector', 'dev', version);
        await new Promise(r => setTimeout(r, 150));
      }
      const lines = watch(`resourceVersion=${listed.metadata.resourceVersion}`);
      await lines.until(l => l.ended, 'the end of the watch');
      expect(lines.status).toBe(200);
      expect(lines.json()).toEqual([
        {
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: expect.stringMatching(
              /^too old resource version: \d+ \(\d+\)$/,
            ),
            reason: 'Expired',
            code: 410,
          },
        },
      ]);
    } finally {
      kube.watches.windowSize = size;
      sandbox().setDrift('fraud-detector', 'dev', null);
    }
  });

  it('ends a watch at timeoutSeconds', async () => {
    const listed = await list();
    const lines = watch(
      `resourceVersion=${listed.metadata.resourceVersion}&timeoutSeconds=1&allowWatchBookmarks=true`,
    );
    await lines.until(l => l.ended, 'the end of the watch', 5_000);
    expect(lines.json().map(e => e.type)).toEqual(['BOOKMARK']);
  });
});

describe('Argo CD application event stream', () => {
  const sandbox = useSandbox({
    reconcileIntervalSeconds: 3600,
    rolloutSeconds: 0,
  });
  const open: Lines[] = [];
  const stream = (query: string, accept = 'text/event-stream') => {
    const lines = new Lines(
      `${sandbox().urls.argocd}/api/v1/stream/applications?${query}`,
      { ...ARGO, Accept: accept },
    );
    open.push(lines);
    return lines;
  };
  afterEach(() => {
    for (const lines of open.splice(0)) lines.close();
  });

  it('sends every matching Application as ADDED, then its changes, filtered by fields', async () => {
    const apps = await (
      await fetch(
        `${sandbox().urls.argocd}/api/v1/applications?selector=ml-gitops/model`,
        { headers: ARGO },
      )
    ).json();
    const lines = stream(
      `selector=${encodeURIComponent(
        'ml-gitops/model=fraud-detector',
      )}&fields=${[
        'result.type',
        'result.application.metadata.name',
        'result.application.metadata.resourceVersion',
        'result.application.status.sync.status',
      ].join(',')}`,
    );
    await lines.until(l => l.json().length === 3, 'three ADDED events');
    expect(lines.contentType).toBe('text/event-stream');
    // Sorted by qualified name; only the asked paths (and, by prefix, the
    // keys that lead to them).
    expect(lines.json()).toEqual(
      [
        'fraud-detector-dev',
        'fraud-detector-production',
        'fraud-detector-staging',
      ].map(name => ({
        result: {
          type: 'ADDED',
          application: {
            metadata: {
              name,
              resourceVersion: apps.items.find(
                (a: any) => a.metadata.name === name,
              ).metadata.resourceVersion,
            },
            status: { sync: { status: 'Synced' } },
          },
        },
      })),
    );
    sandbox().setDrift('fraud-detector', 'staging', '2');
    await lines.until(l => l.json().length === 4, 'the change');
    expect(lines.json()[3]).toEqual({
      result: {
        type: 'MODIFIED',
        application: {
          metadata: {
            name: 'fraud-detector-staging',
            resourceVersion: expect.stringMatching(/^\d+$/),
          },
          status: { sync: { status: 'OutOfSync' } },
        },
      },
    });
    sandbox().setDrift('fraud-detector', 'staging', null);
  });

  it('with a resource version sends no backlog, only later changes of newer Applications', async () => {
    const lines = stream(
      `selector=${encodeURIComponent(
        'ml-gitops/model=fraud-detector',
      )}&resourceVersion=1&fields=result.type,result.application.metadata.name`,
      'application/json',
    );
    // Nothing to send: like Argo CD, not even the headers yet.
    await new Promise(r => setTimeout(r, 200));
    expect(lines.status).toBe(0);
    sandbox().setDrift('fraud-detector', 'dev', '2');
    await lines.until(l => l.json().length === 1, 'the change');
    expect(lines.status).toBe(200);
    expect(lines.contentType).toBe('application/json');
    // Newline-delimited JSON without the event-stream framing.
    expect(lines.lines[0].startsWith('{')).toBe(true);
    expect(lines.json()).toEqual([
      {
        result: {
          type: 'MODIFIED',
          application: { metadata: { name: 'fraud-detector-dev' } },
        },
      },
    ]);
    sandbox().setDrift('fraud-detector', 'dev', null);
  });

  it('keeps a quiet event stream alive with `:` lines', async () => {
    const api = sandbox().current().argocd;
    const keepalive = api.stream.keepaliveMs;
    api.stream.keepaliveMs = 50;
    try {
      const lines = stream('selector=ml-gitops/model&resourceVersion=1');
      await lines.until(
        l => l.lines.filter(x => x === ':').length >= 2,
        'keepalives',
      );
      expect(lines.status).toBe(200);
      expect(lines.json()).toEqual([]);
    } finally {
      api.stream.keepaliveMs = keepalive;
    }
  });

  it('refuses a selector it cannot parse', async () => {
    const response = await fetch(
      `${
        sandbox().urls.argocd
      }/api/v1/stream/applications?selector=${encodeURIComponent('a in (b')}`,
      { headers: ARGO },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 3 });
  });
});
