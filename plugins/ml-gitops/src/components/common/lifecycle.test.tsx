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

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { EntityModelDeploymentsCard } from '../EntityModelDeploymentsCard';
import { EntityMlGitopsContent } from '../EntityMlGitopsContent';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { deployments, environment } from '../../__testUtils__/fixtures';

/*
 * What the backend sends for a frozen environment (its manifest's freeze:
 * and the commit that wrote it) and for a declared version the registry
 * marks rejected (the ml-gitops.rejected_* tags).
 */
const FREEZE_COMMIT = 'f00dfeed0000000000000000000000000000000a';

function api() {
  return mockMlGitopsApi({
    getDeployments: jest.fn().mockResolvedValue(
      deployments([
        environment('dev'),
        environment('staging', {
          freeze: { reason: 'release week' },
        }),
        environment('production', {
          declared: { ...environment('production').declared!, version: '11' },
          live: { ...environment('production').live!, version: '11' },
          registry: {
            version: '11',
            exists: true,
            status: 'READY',
            aliases: [],
            metrics: { auc: 0.95 },
            gate: 'passed',
            rejected: {
              reason: 'p95 latency doubled',
              by: 'user:default/alice',
              at: '2026-12-06T07:00:00Z',
            },
          },
          freeze: {
            reason: 'incident 4711',
            until: '2026-12-24T00:00:00Z',
            setBy: 'linus',
            setAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
            commit: FREEZE_COMMIT,
          },
        }),
      ]),
    ),
  });
}

const REJECTION =
  '“p95 latency doubled” (by user:default/alice, 2026-12-06 07:00:00 UTC)';

/** The card's row of an environment (its header also holds the Frozen chip). */
function rowOf(name: string) {
  const header = screen
    .getAllByRole('rowheader')
    .find(cell => cell.textContent?.startsWith(name));
  return header!.closest('tr') as HTMLElement;
}

describe('a rejected version', () => {
  it('has a badge in the deployments card, named with its reason, who and when', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, { api: api() });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    const badge = within(rowOf('production')).getByRole('note', {
      name: `Version 11 rejected: ${REJECTION}`,
    });
    expect(badge).toHaveTextContent('Rejected');
    expect(
      within(rowOf('dev')).queryByText('Rejected'),
    ).not.toBeInTheDocument();
    await userEvent.hover(badge);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      `Rejected: ${REJECTION}`,
    );
  });

  it('says why in the registry panel and is marked in the pipeline', async () => {
    await renderWithApis(<EntityMlGitopsContent />, { api: api() });
    const panel = await screen.findByRole('region', {
      name: 'Registry of production',
    });
    expect(
      within(panel).getByRole('note', {
        name: `Version 11 rejected: ${REJECTION}`,
      }),
    ).toBeInTheDocument();
    expect(
      within(panel).getByText(`Rejected: ${REJECTION}`, { exact: false }),
    ).toBeInTheDocument();
    const column = screen.getByRole('region', {
      name: 'Environment production',
    });
    expect(
      within(column).getByRole('note', { name: /^Version 11 rejected/ }),
    ).toBeInTheDocument();
  });
});

describe('a frozen environment', () => {
  it('shows Frozen, the reason, who froze it and until when in the pipeline', async () => {
    await renderWithApis(<EntityMlGitopsContent />, { api: api() });
    const production = await screen.findByRole('region', {
      name: 'Environment production',
    });
    const notice = within(production).getByRole('note', {
      name: 'production is frozen',
    });
    expect(notice).toHaveTextContent('Frozen until 2026-12-24 00:00:00 UTC');
    expect(notice).toHaveTextContent('incident 4711');
    expect(notice).toHaveTextContent(
      'Frozen by linus, 3 hours ago in commit f00dfee',
    );
    expect(notice).toHaveTextContent(
      'Only a rollback may change the version while it is frozen.',
    );

    const staging = screen.getByRole('region', { name: 'Environment staging' });
    expect(
      within(staging).getByRole('note', { name: 'staging is frozen' }),
    ).toHaveTextContent('Frozen until unfrozen');
    const dev = screen.getByRole('region', { name: 'Environment dev' });
    expect(within(dev).queryByText('Frozen')).not.toBeInTheDocument();
  });

  it('is marked in the deployments card with the reason on hover', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, { api: api() });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    const chip = within(rowOf('production')).getByRole('note', {
      name: 'production is frozen until 2026-12-24 00:00:00 UTC: incident 4711 (frozen by linus)',
    });
    await userEvent.hover(chip);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Frozen until 2026-12-24 00:00:00 UTC: incident 4711 (frozen by linus)',
    );
    expect(within(rowOf('dev')).queryByText('Frozen')).not.toBeInTheDocument();
  });
});
