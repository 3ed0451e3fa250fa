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
  describeServing,
  servingBasisHint,
} from '@ml-gitops/plugin-ml-gitops-common';
import type {
  ServingState,
  ServingStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { StatusIcon, type StatusKind } from './status';

const LABELS: Record<ServingState, string> = {
  serving: 'Serving',
  'rolling-out': 'Rolling out',
  failed: 'Not serving: the predictor fails',
  'not-ready': 'Not serving: not ready',
  unknown: 'Serving state unknown',
};

const KINDS: Record<ServingState, StatusKind> = {
  serving: 'ok',
  failed: 'error',
  'not-ready': 'warning',
  'rolling-out': 'running',
  unknown: 'pending',
};

function Caption(props: { children: string; title?: string }) {
  return (
    <Typography
      variant="caption"
      color="textSecondary"
      component="div"
      title={props.title}
    >
      {props.children}
    </Typography>
  );
}

/**
 * Whether the live version really serves, read from its serving object (a
 * KServe InferenceService): the state in words (not only a colour), the
 * canary share of the traffic, why it does not serve (KServe's
 * `lastFailureInfo` or the failing condition), and a hint where only the
 * Ready condition could be read. Renders nothing where no serving object is
 * read (the operator's sync and health then say all there is).
 */
export function ServingBadge(props: { serving?: ServingStatus }) {
  const { serving } = props;
  if (!serving) {
    return null;
  }
  const share =
    serving.state === 'serving' &&
    serving.trafficPercent !== undefined &&
    serving.trafficPercent < 100
      ? `, ${serving.trafficPercent}% of traffic`
      : '';
  const label = `${LABELS[serving.state] ?? serving.state}${share}`;
  const object = `InferenceService ${serving.namespace}/${serving.name} on ${serving.cluster}`;
  const details = [
    object,
    serving.readyRevision ? `ready revision ${serving.readyRevision}` : '',
    serving.storageUri ? `model ${serving.storageUri}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  let why: string | undefined;
  if (serving.failure) {
    why = serving.failure.message
      ? `${serving.failure.reason}: ${serving.failure.message}`
      : serving.failure.reason;
  } else if (serving.state !== 'serving') {
    why = serving.message ?? describeServing(serving);
  }
  const hint = servingBasisHint(serving);
  return (
    <div data-serving-state={serving.state}>
      <Tooltip title={details}>
        <span>
          <StatusIcon kind={KINDS[serving.state] ?? 'pending'}>
            {label}
          </StatusIcon>
        </span>
      </Tooltip>
      {why && <Caption title={why}>{why}</Caption>}
      {hint && <Caption title={hint}>Readiness only: no model status</Caption>}
    </div>
  );
}
