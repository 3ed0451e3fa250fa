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
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { StatusWarning } from '@backstage/core-components';
import type {
  EnvironmentFreeze,
  RegistryState,
} from '@ml-gitops/plugin-ml-gitops-common';
import { formatAbsolute, shortSha } from './format';
import { RelativeTime } from './RelativeTime';

type Rejection = NonNullable<RegistryState['rejected']>;

/**
 * A rejection in words: `"p95 latency doubled" (by user:default/alice,
 * 2026-12-06 07:00:00 UTC)`; without a reason, that the registry tags it
 * rejected.
 */
export function describeRejection(rejected: Rejection): string {
  const who = [
    rejected.by && `by ${rejected.by}`,
    rejected.at && formatAbsolute(rejected.at),
  ]
    .filter(Boolean)
    .join(', ');
  const why =
    rejected.reason !== undefined
      ? `“${rejected.reason}”`
      : 'tagged rejected in the registry, no reason given';
  return `${why}${who ? ` (${who})` : ''}`;
}

/**
 * "Rejected" when the registry marks the declared version rejected, with
 * the reason, who and when on hover and as its accessible name; nothing
 * otherwise.
 */
export function RejectedBadge(props: { registry: RegistryState | null }) {
  const rejected = props.registry?.rejected;
  if (!rejected) {
    return null;
  }
  const version = props.registry?.version;
  const description = describeRejection(rejected);
  return (
    <Tooltip title={`Rejected: ${description}`}>
      <Chip
        role="note"
        aria-label={`Version${
          version ? ` ${version}` : ''
        } rejected: ${description}`}
        label="Rejected"
        size="small"
        color="secondary"
        style={{ marginRight: 4 }}
      />
    </Tooltip>
  );
}

/** The reason of a rejection as text, for panels with room for it. */
export function RejectionText(props: { registry: RegistryState | null }) {
  const rejected = props.registry?.rejected;
  if (!rejected) {
    return null;
  }
  return (
    <Typography variant="body2" color="error">
      Rejected: {describeRejection(rejected)}. A pull request that deploys this
      version fails its check until the version is un-rejected.
    </Typography>
  );
}

/** "until 2026-12-24 00:00:00 UTC" or "until unfrozen". */
export function freezeEnd(freeze: EnvironmentFreeze): string {
  return freeze.until
    ? `until ${formatAbsolute(freeze.until)}`
    : 'until unfrozen';
}

/**
 * A frozen environment: "Frozen" and until when, why, and who froze it
 * when (the commit that wrote the `freeze:`).
 */
export function FreezeNotice(props: {
  environment: string;
  freeze?: EnvironmentFreeze;
}) {
  const { environment, freeze } = props;
  if (!freeze) {
    return null;
  }
  return (
    <div role="note" aria-label={`${environment} is frozen`}>
      <Typography variant="body2" component="div">
        <StatusWarning>
          <strong>Frozen</strong> {freezeEnd(freeze)}
        </StatusWarning>
      </Typography>
      <Typography variant="body2">{freeze.reason}</Typography>
      {(freeze.setBy || freeze.setAt) && (
        <Typography variant="caption" color="textSecondary" component="div">
          Frozen{freeze.setBy && ` by ${freeze.setBy}`}
          {freeze.setAt && (
            <>
              {', '}
              <RelativeTime value={freeze.setAt} />
            </>
          )}
          {freeze.commit && ` in commit ${shortSha(freeze.commit)}`}
        </Typography>
      )}
      <Typography variant="caption" color="textSecondary" component="div">
        Only a rollback may change the version while it is frozen.
      </Typography>
    </div>
  );
}

/** A small "Frozen" chip for tables, with the reason on hover. */
export function FrozenChip(props: {
  environment: string;
  freeze?: EnvironmentFreeze;
}) {
  const { environment, freeze } = props;
  if (!freeze) {
    return null;
  }
  const description = `${freezeEnd(freeze)}: ${freeze.reason}${
    freeze.setBy ? ` (frozen by ${freeze.setBy})` : ''
  }`;
  return (
    <Tooltip title={`Frozen ${description}`}>
      <Chip
        role="note"
        aria-label={`${environment} is frozen ${description}`}
        label="Frozen"
        size="small"
      />
    </Tooltip>
  );
}
