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

/** Reads a V8 CPU profile of the request path: self time by area, time by step. */

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
};

/** Where a frame's code lives, coarse enough to read: an area of the request path. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) {
    if (/http|_http|net|stream|internal\/streams/.test(url)) {
      return 'node http/net/streams';
    }
    return `node ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/ml-gitops-backend/src/')) {
    return `ml-gitops ${url.split('/ml-gitops-backend/src/')[1]}`;
  }
  return url.split('/').slice(-2).join('/');
}

export function summarise(profile: {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}) {
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const self = new Map<number, number>();
  (profile.samples ?? []).forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
  });
  let total = 0;
  const areas = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    total += us;
    // Native code (JSON, crypto, the socket) counts for the JavaScript
    // that called it.
    let owner: number | undefined = id;
    while (
      owner !== undefined &&
      !byId.get(owner)!.callFrame.url &&
      !byId.get(owner)!.callFrame.functionName.startsWith('(')
    ) {
      owner = parent.get(owner);
    }
    const frame = byId.get(owner ?? id)!.callFrame;
    const key = area(frame.url, frame.functionName);
    areas.set(key, (areas.get(key) ?? 0) + us);
  }
  console.log(`\nself time by area (busy ${(total / 1000).toFixed(0)} ms):`);
  [...areas.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .forEach(([key, us]) =>
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`),
    );

  // Inclusive time of frames that stand for a step of the request.
  const steps: Array<[string, RegExp]> = [
    ['request logging (morgan, winston)', /morgan|winston|logform|triple-beam/],
    [
      'auth service (verify and issue tokens)',
      /backend-defaults\/dist\/entrypoints\/(auth|httpAuth|userInfo)\//,
    ],
    ['permission client (fetch to /api/permission)', /PermissionClient/],
    ['permission backend router', /plugin-permission-backend/],
    ['token issue/verify (jose)', /node_modules\/jose/],
    ['knex + better-sqlite3', /node_modules\/(knex|better-sqlite3)/],
    ['zod', /node_modules\/zod/],
    ['express', /node_modules\/(express|body-parser|router)\//],
    ['undici (fetch)', /undici/],
  ];
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const url = byId.get(n)!.callFrame.url;
      for (const [name, re] of steps) {
        if (!seen.has(name) && re.test(url)) {
          seen.add(name);
          inclusive.set(name, (inclusive.get(name) ?? 0) + us);
        }
      }
    }
  }
  console.log('\ninclusive time of steps (overlapping):');
  for (const [name] of steps) {
    const us = inclusive.get(name) ?? 0;
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}
