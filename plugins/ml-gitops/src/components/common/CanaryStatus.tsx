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

import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import {
  canaryObjectKind,
  describeCanary,
} from '@ml-gitops/plugin-ml-gitops-common';
import type {
  CanaryAnalysis,
  CanaryPhase,
} from '@ml-gitops/plugin-ml-gitops-common';
import { StatusIcon, type StatusKind } from './status';

const LABELS: Record<CanaryPhase, string> = {
  pending: 'Canary pending',
  running: 'Canary running',
  successful: 'Canary passed',
  failed: 'Canary failed',
  inconclusive: 'Canary inconclusive',
};

const KINDS: Record<CanaryPhase, StatusKind> = {
  successful: 'ok',
  failed: 'error',
  inconclusive: 'warning',
  running: 'running',
  pending: 'pending',
};

/**
 * The canary analysis of an environment: its phase in words (not only a
 * colour), the canary's share of the traffic, and which object says so.
 * Renders nothing when there is no analysis.
 */
export function CanaryStatus(props: { canary?: CanaryAnalysis | null }) {
  const { canary } = props;
  if (!canary) {
    return null;
  }
  const label = `${LABELS[canary.phase] ?? `Canary ${canary.phase}`}${
    canary.trafficPercent !== undefined
      ? `, ${canary.trafficPercent}% of traffic`
      : ''
  }`;
  return (
    <div data-canary-phase={canary.phase}>
      <Tooltip title={describeCanary(canary)}>
        <span>
          <StatusIcon kind={KINDS[canary.phase] ?? 'pending'}>
            {label}
          </StatusIcon>
        </span>
      </Tooltip>
      <Typography
        variant="caption"
        color="textSecondary"
        component="div"
        title={canary.message}
      >
        {canaryObjectKind(canary)} {canary.name}
        {canary.message &&
        (canary.phase === 'failed' || canary.phase === 'inconclusive')
          ? `: ${canary.message}`
          : ''}
      </Typography>
    </div>
  );
}
