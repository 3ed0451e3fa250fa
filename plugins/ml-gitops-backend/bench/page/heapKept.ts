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

/**
 * `--heap-profile-kept`: what a window's requests leave to the old
 * generation, written as a sampling heap profile and summed up by where it
 * was allocated.
 */

import fs from 'node:fs';
import { Backend, startKeptSampling, stopKeptSampling } from './backendProcess';
import { HEAP_PROFILE_KEPT, round } from './options';

type Node = {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
};

/** Where a script comes from: a package, a workspace package, or Node. */
export function origin(url: string): string {
  if (!url) return '(V8 or native)';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const workspace = /\/(plugins|packages)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  return url;
}

/** Bytes sampled per allocating function and per origin, largest first. */
export function summarizeKept(head: Node) {
  const bySite = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let total = 0;
  const stack = [head];
  while (stack.length) {
    const node = stack.pop()!;
    stack.push(...node.children);
    if (!node.selfSize) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${
      url
        ? `${url.replace(/^.*\/(node_modules|plugins|packages)\//, '$1/')}:${
            lineNumber + 1
          }`
        : ''
    }`.trim();
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    const from = origin(url);
    byOrigin.set(from, (byOrigin.get(from) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  const largest = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { total, sites: largest(bySite, 12), origins: largest(byOrigin, 8) };
}

/**
 * Runs `window` with the probe sampling what outlives a young-generation
 * collection when `--heap-profile-kept` is given and the window has a
 * `name`; writes the profile to
 * `FILE.<name>.heapprofile` and answers, beside the window's result, the
 * lines that say where most of it was allocated (to print after the
 * window's own).
 */
export async function withKeptSampling<T>(
  backend: Backend,
  name: string,
  window: () => Promise<T>,
): Promise<[T, string[]]> {
  if (!HEAP_PROFILE_KEPT || !name) return [await window(), []];
  await startKeptSampling(backend);
  const result = await window();
  const text = await stopKeptSampling(backend);
  if (!text.startsWith('{')) {
    throw new Error(
      `--heap-profile-kept: the backend's probe answered no sampling profile for the ${name} window (${
        text.slice(0, 200) || 'an empty answer'
      }); check the backend's log for the probe's errors`,
    );
  }
  const file = `${HEAP_PROFILE_KEPT}.${name}.heapprofile`;
  fs.writeFileSync(file, text);
  const { total, sites, origins } = summarizeKept(JSON.parse(text).head);
  const mb = (bytes: number) => `${round(bytes / 1024 / 1024, 1)} MB`;
  return [
    result,
    [
      `    outlived a young-generation collection (sampled; ${file}): ${mb(
        total,
      )}; by origin: ${origins
        .map(([o, bytes]) => `${o} ${mb(bytes)}`)
        .join(', ')}`,
      ...sites.map(([site, bytes]) => `      ${mb(bytes)}  ${site}`),
    ],
  ];
}
