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
 * Against the demo with its sandbox: fraud-detector's ML GitOps tab shows the
 * delivery metrics of production (the chart and its numbers as text, counted
 * as `/v1/history` counts them), and the audit CSV downloaded from the tab's
 * "Download audit CSV" control parses and holds one row per deployment,
 * promotion and rollback that `/v1/history` lists, with the same facts.
 * Nothing is changed in the sandbox; the backend's history comes from the
 * seeded config repo.
 */
import fs from 'node:fs';
import {
  test,
  expect,
  type APIRequestContext,
  type Page,
} from '@playwright/test';
import { BACKEND, backendPollIntervalMs, openWhenPolled } from './helpers';
import { guestToken } from './scaffolder';

const MODEL = 'fraud-detector';
const ENTITY_REF = `component:default/${MODEL}`;
const ENVIRONMENT = 'production';
const DAY_MS = 24 * 3600 * 1000;
/** The window chosen on the tab; the seed's deployments are 8-150 days old. */
const WINDOW_DAYS = 90;

test.setTimeout(180_000);

type HistoryItem = {
  environment: string;
  version: string;
  previousVersion?: string;
  commit: string;
  author: string;
  committedAt: string;
  kind: 'deploy' | 'promotion' | 'rollback';
  pullRequest?: { number: number };
};

async function getJson(request: APIRequestContext, token: string, url: string) {
  const response = await request.get(url, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.ok(), `${url}: ${response.status()}`).toBe(true);
  return response.json();
}

/** Every deployment of every environment of the model, from /v1/history. */
async function fullHistory(
  request: APIRequestContext,
  token: string,
): Promise<HistoryItem[]> {
  const api = `${BACKEND}/api/ml-gitops`;
  const ref = encodeURIComponent(ENTITY_REF);
  const { environments } = await getJson(
    request,
    token,
    `${api}/v1/deployments?entityRef=${ref}`,
  );
  const items: HistoryItem[] = [];
  const limit = 100;
  for (const { name } of environments as { name: string }[]) {
    for (let offset = 0; ; offset += limit) {
      const page = await getJson(
        request,
        token,
        `${api}/v1/history?entityRef=${ref}&environment=${encodeURIComponent(
          name,
        )}&limit=${limit}&offset=${offset}`,
      );
      items.push(...(page.items as HistoryItem[]));
      if (page.items.length < limit) break;
    }
  }
  return items;
}

/**
 * RFC 4180: fields separated by commas, records by CRLF, a field in double
 * quotes may hold commas, quotes (doubled) and line breaks.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(quoted, 'the CSV ends inside a quoted field').toBe(false);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** The facts a row and a history entry must agree on, as one string. */
function key(d: {
  environment: string;
  commit: string;
  kind: string;
  version: string;
  previousVersion: string;
  author: string;
  mergedAt: string;
  pullRequest: string;
}) {
  return [
    d.environment,
    d.commit,
    d.kind,
    d.version,
    d.previousVersion,
    d.author,
    d.mergedAt,
    d.pullRequest,
  ].join(' | ');
}

async function openTab(page: Page) {
  await openWhenPolled(page, MODEL);
  await page.locator(`a[href$="/${MODEL}/ml-gitops"]`).first().click();
  await page.getByRole('tab', { name: ENVIRONMENT }).click();
}

test('the tab shows the delivery metrics of production and downloads the audit CSV that matches /v1/history', async ({
  page,
  request,
}) => {
  const token = await guestToken(request);
  // The backend reads the seeded history at its first poll of the model,
  // which may still be running when this spec starts.
  let history: HistoryItem[] = [];
  await expect
    .poll(
      async () => {
        history = await fullHistory(request, token);
        return history.length;
      },
      {
        message: 'the seeded history, read by the backend',
        timeout: 3 * backendPollIntervalMs() + 30_000,
        intervals: [2_000],
      },
    )
    .toBeGreaterThan(0);

  await openTab(page);

  // The metrics over 90 days, counted from /v1/history as the chart counts.
  await page
    .getByRole('group', { name: 'Window' })
    .getByRole('button', { name: `${WINDOW_DAYS} days` })
    .click();
  const since = Date.now() - WINDOW_DAYS * DAY_MS;
  const inWindow = history.filter(
    d => d.environment === ENVIRONMENT && Date.parse(d.committedAt) >= since,
  );
  const deployments = inWindow.filter(d => d.kind !== 'rollback').length;
  const rollbacks = inWindow.length - deployments;
  const chart = page.getByRole('img', {
    name: `Deployments and rollbacks per week over the last ${WINDOW_DAYS} days: ${deployments} deployment${
      deployments === 1 ? '' : 's'
    }, ${rollbacks} rollback${rollbacks === 1 ? '' : 's'}`,
  });
  await expect(chart).toBeVisible();
  for (const term of [
    'Deployment frequency',
    'Lead time, registry to serving',
    'Change failure rate',
    'Time to restore',
  ]) {
    await expect(page.getByText(term, { exact: true })).toBeVisible();
  }
  await expect(
    page.getByText(
      `${deployments} deployment${
        deployments === 1 ? '' : 's'
      } in ${WINDOW_DAYS} days`,
    ),
  ).toBeVisible();
  await page.screenshot({
    path: 'artifacts/screenshots/audit-fraud-detector-metrics.png',
    fullPage: true,
  });

  // The CSV of every day that has a deployment, downloaded from the tab.
  const first = history
    .map(d => d.committedAt)
    .sort()[0]
    .slice(0, 10);
  const last = new Date().toISOString().slice(0, 10);
  await page.getByLabel('First day (UTC)').fill(first);
  await page.getByLabel('Last day (UTC)').fill(last);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download audit CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^ml-gitops-audit-.*\.csv$/);
  const file = await download.path();
  const bytes = fs.readFileSync(file!);
  // UTF-8 with a byte order mark, for spreadsheets.
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const [header, ...rows] = parseCsv(bytes.toString('utf8').slice(1));
  const column = (name: string) => {
    const index = header.indexOf(name);
    expect(index, `column ${name}`).toBeGreaterThanOrEqual(0);
    return index;
  };
  const at = (row: string[], name: string) => row[column(name)];
  for (const row of rows) {
    expect(row, 'every row has every column').toHaveLength(header.length);
    expect(at(row, 'entity_ref')).toBe(ENTITY_REF);
  }

  const fromCsv = rows
    .filter(row => at(row, 'type') === 'deployment')
    .map(row =>
      key({
        environment: at(row, 'environment'),
        commit: at(row, 'commit'),
        kind: at(row, 'kind'),
        version: at(row, 'version'),
        previousVersion: at(row, 'previous_version'),
        author: at(row, 'author'),
        mergedAt: at(row, 'merged_at'),
        pullRequest: at(row, 'pull_request'),
      }),
    )
    .sort();
  const fromHistory = history
    .map(d =>
      key({
        environment: d.environment,
        commit: d.commit,
        kind: d.kind,
        version: d.version,
        previousVersion: d.previousVersion ?? '',
        author: d.author,
        mergedAt: new Date(d.committedAt).toISOString(),
        pullRequest: d.pullRequest ? String(d.pullRequest.number) : '',
      }),
    )
    .sort();
  expect(fromCsv).toEqual(fromHistory);
  await expect(
    page.getByText(`Saved ${download.suggestedFilename()}`),
  ).toBeVisible();
});
