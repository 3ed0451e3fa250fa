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

import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import { useApi } from '@backstage/core-plugin-api';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { mlGitopsApiRef } from '../../api';
import { errorMessage } from '../common';

const DAY_MS = 24 * 3600 * 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The default range: the last 30 days, today included (UTC dates). */
function defaultRange(now: number) {
  return {
    from: new Date(now - 30 * DAY_MS).toISOString().slice(0, 10),
    to: new Date(now).toISOString().slice(0, 10),
  };
}

/**
 * The export's range from two UTC dates, both included: `to` is the
 * midnight after the last day, since the backend's `to` is exclusive.
 * Returns a message saying what to fix instead when they do not make one.
 */
export function auditRange(
  fromDate: string,
  toDate: string,
): { from: string; to: string } | string {
  if (!DATE.test(fromDate) || Number.isNaN(Date.parse(fromDate))) {
    return 'Choose the first day of the export.';
  }
  if (!DATE.test(toDate) || Number.isNaN(Date.parse(toDate))) {
    return 'Choose the last day of the export.';
  }
  const from = new Date(`${fromDate}T00:00:00Z`);
  const to = new Date(Date.parse(`${toDate}T00:00:00Z`) + DAY_MS);
  if (from >= to) {
    return 'The first day must not be after the last day.';
  }
  return { from: from.toISOString(), to: to.toISOString() };
}

/** Hands a file to the browser as a download. */
function save(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled, so the download can start.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** One end of the range: a field of a whole day, in UTC. */
function DayField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (day: string) => void;
}) {
  const { id, label, value, onChange } = props;
  return (
    <TextField
      id={id}
      label={label}
      type="date"
      size="small"
      variant="outlined"
      value={value}
      onChange={e => onChange(e.target.value)}
      InputLabelProps={{ shrink: true }}
    />
  );
}

/**
 * "Download audit CSV": the audit export of one model (every deployment,
 * promotion, rollback and drift episode, all environments) for the days a
 * person chooses, fetched with the user's Backstage token through the
 * plugin's API client and saved as a file.
 */
export function AuditCsvDownload(props: {
  entityRef: string;
  /** The clock; tests pass a fixed one. */
  now?: () => number;
}) {
  const { entityRef } = props;
  const api = useApi(mlGitopsApiRef);
  const idPrefix = `ml-gitops-audit-${entityRef.replace(
    /[^A-Za-z0-9-]/g,
    '-',
  )}`;
  const [range, setRange] = useState(() =>
    defaultRange((props.now ?? Date.now)()),
  );
  const checked = auditRange(range.from, range.to);
  const [state, download] = useAsyncFn(async () => {
    if (typeof checked === 'string') return undefined;
    const { blob, fileName } = await api.downloadAuditCsv({
      entityRef,
      from: checked.from,
      to: checked.to,
    });
    save(blob, fileName);
    return fileName;
  }, [api, entityRef, checked]);

  return (
    <Box display="flex" flexWrap="wrap" alignItems="center" style={{ gap: 16 }}>
      <DayField
        id={`${idPrefix}-from`}
        label="First day (UTC)"
        value={range.from}
        onChange={from => setRange(r => ({ ...r, from }))}
      />
      <DayField
        id={`${idPrefix}-to`}
        label="Last day (UTC)"
        value={range.to}
        onChange={to => setRange(r => ({ ...r, to }))}
      />
      <Button
        variant="outlined"
        color="primary"
        startIcon={<GetAppIcon />}
        disabled={typeof checked === 'string' || state.loading}
        onClick={() => download()}
      >
        {state.loading ? 'Downloading…' : 'Download audit CSV'}
      </Button>
      {typeof checked === 'string' && (
        <Typography variant="body2" color="error" role="alert">
          {checked}
        </Typography>
      )}
      {typeof checked !== 'string' && state.error && (
        <Typography variant="body2" color="error" role="alert">
          The export failed: {errorMessage(state.error)}
        </Typography>
      )}
      {typeof checked !== 'string' &&
        !state.error &&
        !state.loading &&
        state.value && (
          <Typography variant="body2" role="status">
            Saved {state.value}
          </Typography>
        )}
    </Box>
  );
}
