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

import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ResponseError } from '@backstage/errors';
import { AuditCsvDownload, auditRange } from './AuditCsvDownload';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { ENTITY_REF } from '../../__testUtils__/fixtures';

const NOW = Date.parse('2026-12-01T15:30:00.000Z');
const now = () => NOW;

describe('auditRange', () => {
  it('includes both days: to is the midnight after the last one', () => {
    expect(auditRange('2026-11-01', '2026-11-30')).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
    expect(auditRange('2026-11-30', '2026-11-30')).toEqual({
      from: '2026-11-30T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
  });

  it('says what to fix', () => {
    expect(auditRange('', '2026-11-30')).toBe(
      'Choose the first day of the export.',
    );
    expect(auditRange('2026-11-01', '2026-13-45')).toBe(
      'Choose the last day of the export.',
    );
    expect(auditRange('2026-12-02', '2026-12-01')).toBe(
      'The first day must not be after the last day.',
    );
  });
});

describe('AuditCsvDownload', () => {
  const createObjectURL = jest.fn(() => 'blob:http://localhost/audit');
  const revokeObjectURL = jest.fn();
  let clicked: HTMLAnchorElement[];

  beforeEach(() => {
    clicked = [];
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function record(this: HTMLAnchorElement) {
        clicked.push(this);
      });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    createObjectURL.mockClear();
    revokeObjectURL.mockClear();
  });

  it('downloads the CSV of the last 30 days through the API client and saves it under its name', async () => {
    const blob = new Blob(['\uFEFFtype,entity_ref\r\n'], { type: 'text/csv' });
    const fileName =
      'ml-gitops-audit-2026-11-01T000000000Z-2026-12-02T000000000Z.csv';
    const api = mockMlGitopsApi({
      downloadAuditCsv: jest.fn().mockResolvedValue({ blob, fileName }),
    });
    await renderWithApis(
      <AuditCsvDownload entityRef={ENTITY_REF} now={now} />,
      {
        api,
      },
    );

    expect(screen.getByLabelText('First day (UTC)')).toHaveValue('2026-11-01');
    expect(screen.getByLabelText('Last day (UTC)')).toHaveValue('2026-12-01');
    await userEvent.click(
      screen.getByRole('button', { name: 'Download audit CSV' }),
    );

    expect(await screen.findByRole('status')).toHaveTextContent(
      `Saved ${fileName}`,
    );
    expect(api.downloadAuditCsv).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-02T00:00:00.000Z',
    });
    expect(createObjectURL).toHaveBeenCalledWith(blob);
    expect(clicked).toHaveLength(1);
    expect(clicked[0].download).toBe(fileName);
    expect(clicked[0].href).toBe('blob:http://localhost/audit');
  });

  it('exports the days chosen', async () => {
    const api = mockMlGitopsApi({
      downloadAuditCsv: jest
        .fn()
        .mockResolvedValue({ blob: new Blob(['']), fileName: 'a.csv' }),
    });
    await renderWithApis(
      <AuditCsvDownload entityRef={ENTITY_REF} now={now} />,
      {
        api,
      },
    );
    fireEvent.change(screen.getByLabelText('First day (UTC)'), {
      target: { value: '2026-07-01' },
    });
    fireEvent.change(screen.getByLabelText('Last day (UTC)'), {
      target: { value: '2026-09-30' },
    });
    await userEvent.click(
      screen.getByRole('button', { name: 'Download audit CSV' }),
    );
    await screen.findByRole('status');
    expect(api.downloadAuditCsv).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      from: '2026-07-01T00:00:00.000Z',
      to: '2026-10-01T00:00:00.000Z',
    });
  });

  it('refuses a range that ends before it starts, saying what to fix', async () => {
    const api = mockMlGitopsApi();
    await renderWithApis(
      <AuditCsvDownload entityRef={ENTITY_REF} now={now} />,
      {
        api,
      },
    );
    fireEvent.change(screen.getByLabelText('First day (UTC)'), {
      target: { value: '2026-12-05' },
    });
    expect(screen.getByRole('alert')).toHaveTextContent(
      'The first day must not be after the last day.',
    );
    expect(
      screen.getByRole('button', { name: 'Download audit CSV' }),
    ).toBeDisabled();
    expect(api.downloadAuditCsv).not.toHaveBeenCalled();
  });

  it("shows the backend's refusal and saves nothing", async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'NotAllowedError',
          message: `You are not allowed to read the deployments of ${ENTITY_REF}`,
        },
        request: { method: 'GET', url: '/api/ml-gitops/v1/audit/events' },
        response: { statusCode: 403 },
      }),
      { status: 403, headers: { 'content-type': 'application/json' } },
    );
    const api = mockMlGitopsApi({
      downloadAuditCsv: jest
        .fn()
        .mockRejectedValue(await ResponseError.fromResponse(response)),
    });
    await renderWithApis(
      <AuditCsvDownload entityRef={ENTITY_REF} now={now} />,
      {
        api,
      },
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Download audit CSV' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      /The export failed: .*not allowed to read the deployments/,
    );
    expect(clicked).toHaveLength(0);
    expect(createObjectURL).not.toHaveBeenCalled();
  });
});
