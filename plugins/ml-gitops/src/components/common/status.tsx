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

import type { ReactNode } from 'react';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import type {
  DriftState,
  DriftStatus,
  GateOutcome,
  RegistryState,
} from '@ml-gitops/plugin-ml-gitops-common';

import { formatAbsolute, formatRelative } from './format';
import { type Freshness, staleSince, useNow } from './staleness';

/** The kinds of status the plugin shows, each with Backstage's own icon. */
export type StatusKind =
  | 'ok'
  | 'warning'
  | 'error'
  | 'pending'
  | 'running'
  | 'aborted';

/** A status in words beside Backstage's icon for its kind, kept on one line. */
export function StatusIcon(props: { kind: StatusKind; children: ReactNode }) {
  const { kind } = props;
  const children = (
    <span style={{ whiteSpace: 'nowrap' }}>{props.children}</span>
  );
  switch (kind) {
    case 'ok':
      return <StatusOK>{children}</StatusOK>;
    case 'warning':
      return <StatusWarning>{children}</StatusWarning>;
    case 'error':
      return <StatusError>{children}</StatusError>;
    case 'pending':
      return <StatusPending>{children}</StatusPending>;
    case 'running':
      return <StatusRunning>{children}</StatusRunning>;
    default:
      return <StatusAborted>{children}</StatusAborted>;
  }
}

/** How each drift state is shown and what it means. */
export const DRIFT_PRESENTATION: Record<
  DriftState,
  { label: string; kind: StatusKind; meaning: string }
> = {
  'in-sync': {
    label: 'In sync',
    kind: 'ok',
    meaning: 'The live version is the one Git declares.',
  },
  progressing: {
    label: 'Progressing',
    kind: 'pending',
    meaning: 'A change is rolling out, within the grace period.',
  },
  drifted: {
    label: 'Drifted',
    kind: 'error',
    meaning:
      'The live version differs from Git for longer than the grace period.',
  },
  unknown: {
    label: 'Unknown',
    kind: 'warning',
    meaning: 'A source needed for the answer could not be read.',
  },
  missing: {
    label: 'Missing',
    kind: 'aborted',
    meaning:
      'No Argo CD Application or Flux object carries this model and environment.',
  },
};

/** Most urgent first: the order of the fleet page and drift lists. */
export const DRIFT_SEVERITY: Record<DriftState, number> = {
  drifted: 0,
  unknown: 1,
  missing: 2,
  progressing: 3,
  'in-sync': 4,
};

/**
 * The drift state as a status with its label; the reason shows on hover.
 * With `freshness`, a state observed longer ago than the backend's
 * `staleAfterSeconds` is shown greyed out as stale, saying since when
 * ("stale: last observed 12 minutes ago"), never as a current green.
 */
export function DriftBadge(props: {
  drift: DriftStatus;
  freshness?: Freshness;
}) {
  const { drift, freshness } = props;
  const now = useNow();
  const presentation =
    DRIFT_PRESENTATION[drift.state] ?? DRIFT_PRESENTATION.unknown;
  const stale = staleSince(freshness, now);
  if (stale) {
    const since = `stale: last observed ${formatRelative(stale, now)}`;
    return (
      <Tooltip
        title={`${since} (${formatAbsolute(
          stale,
        )}). The backend has not polled it since; it was ${presentation.label.toLowerCase()} then.`}
      >
        <span
          data-drift-state={drift.state}
          data-stale="true"
          style={{ whiteSpace: 'nowrap' }}
        >
          <StatusIcon kind="aborted">
            {presentation.label} ({since})
          </StatusIcon>
        </span>
      </Tooltip>
    );
  }
  return (
    <Tooltip title={drift.reason ?? presentation.meaning}>
      <span data-drift-state={drift.state} style={{ whiteSpace: 'nowrap' }}>
        <StatusIcon kind={presentation.kind}>{presentation.label}</StatusIcon>
      </span>
    </Tooltip>
  );
}

function syncKind(status: string): StatusKind {
  const value = status.toLowerCase();
  if (value === 'synced' || value === 'ready' || value === 'true') return 'ok';
  if (value === 'outofsync' || value === 'false') return 'warning';
  if (value.includes('progress') || value.includes('reconcil'))
    return 'pending';
  if (value === 'unknown' || value === '') return 'aborted';
  return 'warning';
}

function healthKind(status: string): StatusKind {
  const value = status.toLowerCase();
  if (value === 'healthy' || value === 'ready' || value === 'true') return 'ok';
  if (value === 'progressing' || value.includes('reconcil')) return 'pending';
  if (value === 'degraded' || value === 'false' || value === 'failed') {
    return 'error';
  }
  if (value === 'suspended' || value === 'missing' || value === 'unknown') {
    return 'aborted';
  }
  return 'warning';
}

/** The operator's sync and health status, as reported. */
export function SyncHealth(props: {
  syncStatus: string;
  healthStatus: string;
}) {
  const { syncStatus, healthStatus } = props;
  return (
    <>
      <div>
        <StatusIcon kind={syncKind(syncStatus)}>
          {syncStatus || 'Unknown'}
        </StatusIcon>
      </div>
      <div>
        <StatusIcon kind={healthKind(healthStatus)}>
          {healthStatus || 'Unknown'}
        </StatusIcon>
      </div>
    </>
  );
}

const GATE_PRESENTATION: Record<
  GateOutcome,
  { label: string; kind: StatusKind }
> = {
  passed: { label: 'Gate passed', kind: 'ok' },
  failed: { label: 'Gate failed', kind: 'error' },
  none: { label: 'No gate', kind: 'aborted' },
  unknown: { label: 'Gate unknown: registry unreachable', kind: 'warning' },
};

/**
 * How a registration state that is not READY is shown: MLflow's
 * `ModelVersionStatus` (mlflow/protos/model_registry.proto). Undefined for a
 * READY version or a registry without states.
 */
export function registrationPresentation(status: string | undefined):
  | {
      /** Short, for a label next to the version. */
      label: string;
      /** In place of the gate: a version that is not READY never passes. */
      gate: string;
      kind: StatusKind;
      help: string;
    }
  | undefined {
  if (status === undefined || status === 'READY') {
    return undefined;
  }
  if (status === 'PENDING_REGISTRATION') {
    return {
      label: 'pending registration',
      gate: 'Gate blocked: registration pending',
      kind: 'pending',
      help: 'MLflow is still registering this version (PENDING_REGISTRATION); it cannot be deployed until it is READY.',
    };
  }
  if (status === 'FAILED_REGISTRATION') {
    return {
      label: 'registration failed',
      gate: 'Gate failed: registration failed',
      kind: 'error',
      help: 'MLflow failed to register this version (FAILED_REGISTRATION); register the model again and deploy the new version.',
    };
  }
  return {
    label: `not ready (${status || 'no status'})`,
    gate: 'Gate failed: version not READY',
    kind: 'warning',
    help: `The registry reports this version as ${
      status || 'without a status'
    }, not READY; it cannot be deployed.`,
  };
}

/** The registration state of a version that is not READY; nothing otherwise. */
export function RegistrationStatus(props: { status: string | undefined }) {
  const presentation = registrationPresentation(props.status);
  if (!presentation) {
    return null;
  }
  return (
    <Tooltip title={presentation.help}>
      <span data-registration={props.status} style={{ whiteSpace: 'nowrap' }}>
        <StatusIcon kind={presentation.kind}>{presentation.label}</StatusIcon>
      </span>
    </Tooltip>
  );
}

/** The performance gate of the declared version in the registry. */
export function GateStatus(props: { registry: RegistryState | null }) {
  const { registry } = props;
  if (!registry) {
    return (
      <Typography variant="body2" color="textSecondary">
        Registry not read
      </Typography>
    );
  }
  if (registry.gate === 'unknown') {
    // The registry could not be read: the gate is not known to pass, and
    // the other facts are the last good ones, if any.
    return (
      <Tooltip
        title={
          registry.reason ??
          'The model registry could not be read, so the gate is not known to pass.'
        }
      >
        <span data-gate="unknown" style={{ whiteSpace: 'nowrap' }}>
          <StatusIcon kind="warning">
            {GATE_PRESENTATION.unknown.label}
          </StatusIcon>
        </span>
      </Tooltip>
    );
  }
  if (!registry.exists) {
    return <StatusError>Version not in registry</StatusError>;
  }
  const registration = registrationPresentation(registry.status);
  if (registration) {
    return (
      <Tooltip title={registration.help}>
        <span data-gate="registration" style={{ whiteSpace: 'nowrap' }}>
          <StatusIcon kind={registration.kind}>{registration.gate}</StatusIcon>
        </span>
      </Tooltip>
    );
  }
  const presentation =
    GATE_PRESENTATION[registry.gate] ?? GATE_PRESENTATION.none;
  return <StatusIcon kind={presentation.kind}>{presentation.label}</StatusIcon>;
}
