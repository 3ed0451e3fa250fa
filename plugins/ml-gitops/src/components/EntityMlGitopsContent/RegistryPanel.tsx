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

import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Link, StatusError, StatusOK } from '@backstage/core-components';
import type {
  EnvironmentStatus,
  RegistryState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  GateStatus,
  RegistrationStatus,
  RejectedBadge,
  RejectionText,
} from '../common';

type Threshold = { min?: number; max?: number };

/**
 * The thresholds and run link are not in the contract yet (proposed as
 * `registry.thresholds` and `registry.runUrl`); read them only when present.
 */
function readExtras(registry: RegistryState): {
  thresholds: Record<string, Threshold>;
  runUrl?: string;
} {
  const extra = registry as RegistryState & {
    thresholds?: unknown;
    runUrl?: unknown;
  };
  const thresholds: Record<string, Threshold> = {};
  if (extra.thresholds && typeof extra.thresholds === 'object') {
    for (const [name, value] of Object.entries(extra.thresholds)) {
      if (value && typeof value === 'object') {
        const { min, max } = value as Record<string, unknown>;
        thresholds[name] = {
          min: typeof min === 'number' ? min : undefined,
          max: typeof max === 'number' ? max : undefined,
        };
      }
    }
  }
  const runUrl =
    typeof extra.runUrl === 'string' && /^https?:\/\//.test(extra.runUrl)
      ? extra.runUrl
      : undefined;
  return { thresholds, runUrl };
}

function describeThreshold(threshold?: Threshold): string {
  if (!threshold) return '—';
  const parts = [];
  if (threshold.min !== undefined) parts.push(`≥ ${threshold.min}`);
  if (threshold.max !== undefined) parts.push(`≤ ${threshold.max}`);
  return parts.join(' and ') || '—';
}

function meets(value: number, threshold?: Threshold): boolean | undefined {
  if (
    !threshold ||
    (threshold.min === undefined && threshold.max === undefined)
  ) {
    return undefined;
  }
  return (
    (threshold.min === undefined || value >= threshold.min) &&
    (threshold.max === undefined || value <= threshold.max)
  );
}

/** What the registry says about the version an environment declares. */
export function RegistryPanel(props: { environment: EnvironmentStatus }) {
  const { environment } = props;
  const { registry, declared } = environment;
  if (!registry) {
    return (
      <Typography variant="body2" color="textSecondary">
        The registry has not been read for {environment.name} yet.
      </Typography>
    );
  }
  const { thresholds, runUrl } = readExtras(registry);
  const names = Array.from(
    new Set([...Object.keys(registry.metrics), ...Object.keys(thresholds)]),
  ).sort();
  return (
    <section aria-label={`Registry of ${environment.name}`}>
      <Typography variant="body2" gutterBottom>
        Version {declared?.version ?? '—'}
        {registry.exists && registry.status !== undefined && (
          <>
            {' '}
            <RegistrationStatus status={registry.status} />
          </>
        )}
        {registry.rejected && (
          <>
            {' '}
            <RejectedBadge registry={registry} />
          </>
        )}
        {registry.stage && <> · stage {registry.stage}</>}
        {runUrl && (
          <>
            {' · '}
            <Link to={runUrl}>Training run</Link>
          </>
        )}
      </Typography>
      <RejectionText registry={registry} />
      <div>
        {registry.aliases.length > 0 ? (
          registry.aliases.map(alias => (
            <Chip
              key={alias}
              label={alias}
              size="small"
              style={{ marginRight: 4 }}
            />
          ))
        ) : (
          <Typography variant="caption" color="textSecondary">
            No aliases
          </Typography>
        )}
      </div>
      <div style={{ margin: '8px 0' }}>
        <GateStatus registry={registry} />
      </div>
      {names.length > 0 ? (
        <Table size="small" aria-label={`Metrics of ${environment.name}`}>
          <TableHead>
            <TableRow>
              <TableCell>Metric</TableCell>
              <TableCell align="right">Value</TableCell>
              <TableCell>Threshold</TableCell>
              <TableCell>Result</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {names.map(name => {
              const value = registry.metrics[name];
              const result =
                value === undefined
                  ? undefined
                  : meets(value, thresholds[name]);
              return (
                <TableRow key={name}>
                  <TableCell>{name}</TableCell>
                  <TableCell align="right">{value ?? 'not logged'}</TableCell>
                  <TableCell>{describeThreshold(thresholds[name])}</TableCell>
                  <TableCell>
                    {result === true && <StatusOK>meets</StatusOK>}
                    {result === false && <StatusError>misses</StatusError>}
                    {result === undefined &&
                      (value === undefined && thresholds[name] ? (
                        <StatusError>missing</StatusError>
                      ) : (
                        '—'
                      ))}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      ) : (
        <Typography variant="body2" color="textSecondary">
          The registry run of this version has no metrics.
        </Typography>
      )}
    </section>
  );
}
