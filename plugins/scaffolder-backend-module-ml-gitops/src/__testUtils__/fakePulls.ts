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

import { http, HttpResponse } from 'msw';
import {
  githubLabel,
  githubPull,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';

export type RecordedPull = {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
  state?: 'open' | 'closed';
};

/** msw handlers for GitHub's pull request, label and reviewer API only. */
export function fakePullsApi(owner = 'acme', repo = 'fraud-detector-config') {
  const base = `https://api.github.com/repos/${owner}/${repo}`;
  const pulls: RecordedPull[] = [];
  const authHeaders: string[] = [];
  const json = (p: RecordedPull, detail = false) =>
    githubPull(`${owner}/${repo}`, {
      number: p.number,
      title: p.title,
      body: p.body,
      head: { ref: p.head },
      base: { ref: p.base },
      state: p.state ?? 'open',
      labels: p.labels,
      requestedReviewers: p.reviewers,
      ...(detail ? { detail: {} } : {}),
    });
  const handlers = [
    http.get(`${base}/pulls`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const head = q.get('head')?.replace(/^[^:]+:/, '');
      return HttpResponse.json(
        pulls
          .filter(
            p =>
              (p.state ?? 'open') === 'open' &&
              (!head || p.head === head) &&
              p.base === q.get('base'),
          )
          .map(p => json(p)),
      );
    }),
    http.post(`${base}/pulls`, async ({ request }) => {
      authHeaders.push(request.headers.get('authorization') ?? '');
      const body = (await request.json()) as RecordedPull;
      const pull: RecordedPull = {
        number: 200 + pulls.length + 1,
        title: body.title,
        body: body.body,
        head: body.head,
        base: body.base,
        labels: [],
        reviewers: [],
        teamReviewers: [],
      };
      pulls.push(pull);
      return HttpResponse.json(json(pull, true), { status: 201 });
    }),
    http.patch(`${base}/pulls/:number`, async ({ request, params }) => {
      const pull = pulls.find(p => p.number === Number(params.number));
      if (!pull)
        return HttpResponse.json({ message: 'Not Found' }, { status: 404 });
      const body = (await request.json()) as Partial<RecordedPull>;
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      if (body.state) pull.state = body.state;
      return HttpResponse.json(json(pull, true));
    }),
    http.post(`${base}/issues/:number/labels`, async ({ request, params }) => {
      const pull = pulls.find(p => p.number === Number(params.number));
      if (!pull)
        return HttpResponse.json({ message: 'Not Found' }, { status: 404 });
      const body = (await request.json()) as { labels: string[] };
      pull.labels.push(...body.labels);
      return HttpResponse.json(
        pull.labels.map(name => githubLabel(`${owner}/${repo}`, name)),
      );
    }),
  ];
  return { handlers, pulls, authHeaders };
}
