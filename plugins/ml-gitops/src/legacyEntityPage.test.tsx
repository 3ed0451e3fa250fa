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
 * The legacy frontend system, wired the way docs/installation.md tells an
 * app to: the two cards in the overview grid behind an EntitySwitch, the
 * tab as an EntityLayout.Route, both on isMlGitopsAvailable. The page shows
 * the repo's example model (examples/models.yaml) and reads the backend
 * through the plugin's own API factory (MlGitopsClient on discoveryApi and
 * fetchApi), answered by msw in the shapes of the backend's REST API
 * (DESIGN.md "Backend REST API"; the types in @ml-gitops/plugin-ml-gitops-common).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Grid } from '@material-ui/core';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { parseAllDocuments } from 'yaml';
import type { Entity } from '@backstage/catalog-model';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  discoveryApiRef,
  fetchApiRef,
  type AnyApiFactory,
} from '@backstage/core-plugin-api';
import {
  EntityLayout,
  EntitySwitch,
  catalogPlugin,
} from '@backstage/plugin-catalog';
import {
  EntityProvider,
  MockStarredEntitiesApi,
  catalogApiRef,
  entityRouteRef,
  starredEntitiesApiRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import type {
  AuditEventsResponse,
  DeploymentsResponse,
  HistoryResponse,
} from '@ml-gitops/plugin-ml-gitops-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  EntityMlGitopsContent,
  EntityModelDeploymentsCard,
  EntityModelDriftCard,
  isMlGitopsAvailable,
  MlGitopsClient,
  mlGitopsApiRef,
  mlGitopsPlugin,
} from './index';
import { createFromTemplateRouteRef, rootRouteRef } from './routes';
import { deployment, environment, minutesAgo } from './__testUtils__/fixtures';

const BASE_URL = 'http://backstage.test';

function exampleEntity(kind: string, name: string): Entity {
  const file = path.resolve(__dirname, '../../../examples/models.yaml');
  const entities = parseAllDocuments(fs.readFileSync(file, 'utf8')).map(
    doc => doc.toJS() as Entity,
  );
  const found = entities.find(e => e.kind === kind && e.metadata.name === name);
  if (!found) throw new Error(`examples/models.yaml has no ${kind} ${name}`);
  return { ...found, metadata: { namespace: 'default', ...found.metadata } };
}

const model = exampleEntity('Component', 'fraud-detector');
const modelRef = stringifyEntityRef(model);
const modelName = model.metadata.annotations!['ml-gitops/model'];
const configRepo = model.metadata.annotations!['ml-gitops/config-repo'];

// What the backend answers for the example model: dev runs 13, staging 12,
// production still runs 11 half an hour after 12 was merged.
const pullRequest = (number: number) => ({
  number,
  url: `${configRepo}/pull/${number}`,
  mergedBy: 'grace',
  reviewers: ['grace'],
});
const dev = environment('dev', {
  declared: {
    ...environment('dev').declared!,
    version: '13',
    pullRequest: pullRequest(44),
  },
  live: { ...environment('dev').live!, version: '13' },
});
const staging = environment('staging', {
  declared: {
    ...environment('staging').declared!,
    pullRequest: pullRequest(43),
  },
});
const production = environment('production', {
  declared: {
    ...environment('production').declared!,
    pullRequest: pullRequest(42),
  },
  live: { ...environment('production').live!, version: '11' },
  drift: {
    state: 'drifted',
    since: minutesAgo(30),
    reason: 'Live runs 11, Git declares 12 for 30 minutes',
  },
});
const deploymentsAnswer: DeploymentsResponse = {
  entityRef: modelRef,
  model: modelName,
  environments: [dev, staging, production],
};
const history = (environmentName: string): HistoryResponse => ({
  items: [0, 1, 2].map(i =>
    deployment(i, {
      environment: environmentName,
      pullRequest: pullRequest(42 - i),
    }),
  ),
});

/** The backend's error body for an entity it does not track (404). */
function notTracked(entityRef: string | null) {
  return HttpResponse.json(
    {
      error: {
        name: 'NotFoundError',
        message: `No ML GitOps status for ${entityRef}`,
      },
      request: { method: 'GET', url: '/v1/deployments' },
      response: { statusCode: 404 },
    },
    { status: 404 },
  );
}

// EntityPage.tsx as docs/installation.md has it.
const overviewContent = (
  <Grid container spacing={3} alignItems="stretch">
    <EntitySwitch>
      <EntitySwitch.Case if={isMlGitopsAvailable}>
        <Grid item md={12}>
          <EntityModelDeploymentsCard />
        </Grid>
        <Grid item md={12}>
          <EntityModelDriftCard />
        </Grid>
      </EntitySwitch.Case>
    </EntitySwitch>
  </Grid>
);

const defaultEntityPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      {overviewContent}
    </EntityLayout.Route>
    <EntityLayout.Route
      path="/ml-gitops"
      title="ML GitOps"
      if={isMlGitopsAvailable}
    >
      <EntityMlGitopsContent />
    </EntityLayout.Route>
  </EntityLayout>
);

describe('the legacy EntityPage of docs/installation.md', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const requests: string[] = [];

  beforeEach(() => {
    requests.length = 0;
    server.use(
      http.get(`${BASE_URL}/api/ml-gitops/v1/deployments`, ({ request }) => {
        const entityRef = new URL(request.url).searchParams.get('entityRef');
        requests.push(`deployments ${entityRef}`);
        return entityRef === modelRef
          ? HttpResponse.json(deploymentsAnswer)
          : notTracked(entityRef);
      }),
      http.get(`${BASE_URL}/api/ml-gitops/v1/history`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        requests.push(`history ${query.get('environment')}`);
        return query.get('entityRef') === modelRef
          ? HttpResponse.json(history(query.get('environment')!))
          : notTracked(query.get('entityRef'));
      }),
      http.get(`${BASE_URL}/api/ml-gitops/v1/audit/events`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        requests.push('audit events');
        const answer: AuditEventsResponse = {
          from: query.get('from')!,
          to: query.get('to')!,
          items: [],
        };
        return HttpResponse.json(answer);
      }),
    );
  });

  async function renderEntityPage(entity: Entity, tab = '') {
    // The API as the plugin registers it in a legacy app.
    const [factory] = [...mlGitopsPlugin.getApis()] as AnyApiFactory[];
    const discoveryApi = mockApis.discovery({ baseUrl: BASE_URL });
    const fetchApi = { fetch: (input: any, init: any) => fetch(input, init) };
    const api = factory.factory({ discoveryApi, fetchApi });
    if (!(api instanceof MlGitopsClient)) {
      throw new Error('the legacy plugin does not register an MlGitopsClient');
    }
    expect(factory.api).toBe(mlGitopsApiRef);
    expect(Object.values(factory.deps)).toEqual([discoveryApiRef, fetchApiRef]);

    const entityPath = `/catalog/${
      entity.metadata.namespace
    }/${entity.kind.toLocaleLowerCase('en-US')}/${entity.metadata.name}`;
    return renderInTestApp(
      <TestApiProvider
        apis={[
          [mlGitopsApiRef, api],
          [catalogApiRef, catalogApiMock({ entities: [entity] })],
          [starredEntitiesApiRef, new MockStarredEntitiesApi()],
          [permissionApiRef, mockApis.permission()],
        ]}
      >
        <Routes>
          <Route
            path="/catalog/:namespace/:kind/:name/*"
            element={
              <EntityProvider entity={entity}>
                {defaultEntityPage}
              </EntityProvider>
            }
          />
        </Routes>
      </TestApiProvider>,
      {
        routeEntries: [`${entityPath}${tab}`],
        mountedRoutes: {
          '/catalog': catalogPlugin.routes.catalogIndex,
          '/catalog/:namespace/:kind/:name': entityRouteRef,
          '/ml-gitops': rootRouteRef,
          '/create/templates/:namespace/:templateName':
            createFromTemplateRouteRef,
        },
      },
    );
  }

  it('shows the example model in both overview cards', async () => {
    await renderEntityPage(model);

    const table = await screen.findByRole('table', {
      name: `Deployments of ${modelName}`,
    });
    const rows = within(table)
      .getAllByRole('rowheader')
      .map(header => header.closest('tr') as HTMLElement);
    expect(
      rows.map(row => within(row).getByRole('rowheader').textContent),
    ).toEqual(['dev', 'staging', 'production']);
    expect(within(rows[0]).getAllByText('13').length).toBeGreaterThan(0);
    expect(within(rows[1]).getByText('In sync')).toBeInTheDocument();
    expect(within(rows[2]).getByText('Drifted')).toBeInTheDocument();
    expect(
      within(rows[2]).getByRole('link', { name: /Pull request #42/ }),
    ).toHaveAttribute('href', `${configRepo}/pull/42`);

    const [episode] = await screen.findAllByRole('region', {
      name: /^Drift in /,
    });
    expect(episode).toHaveAttribute('aria-label', 'Drift in production');
    expect(
      within(episode).getByText('Live runs 11, Git declares 12 for 30 minutes'),
    ).toBeInTheDocument();

    expect(requests).toContain(`deployments ${modelRef}`);
    expect(screen.getByRole('tab', { name: 'ML GitOps' })).toBeInTheDocument();
  });

  it('opens the ML GitOps tab with the pipeline and the history', async () => {
    await renderEntityPage(model);
    await userEvent.click(
      await screen.findByRole('tab', { name: 'ML GitOps' }),
    );

    const pipeline = await screen.findByRole('group', {
      name: 'Promotion pipeline',
    });
    const columns = within(pipeline).getAllByRole('region', {
      name: /^Environment /,
    });
    expect(columns.map(c => c.getAttribute('aria-label'))).toEqual([
      'Environment dev',
      'Environment staging',
      'Environment production',
    ]);
    expect(within(columns[2]).getByText('Drifted')).toBeInTheDocument();
    expect(await screen.findAllByText('author-0')).not.toHaveLength(0);
    expect(requests).toEqual(expect.arrayContaining(['history production']));
  });

  it('shows neither the cards nor the tab on an entity without the annotations', async () => {
    const system = exampleEntity('System', 'ml-serving');
    await renderEntityPage(system);

    expect(
      await screen.findByRole('tab', { name: 'Overview' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'ML GitOps' })).toBeNull();
    expect(screen.queryByText('Model deployments')).toBeNull();
    expect(requests).toEqual([]);
  });
});
