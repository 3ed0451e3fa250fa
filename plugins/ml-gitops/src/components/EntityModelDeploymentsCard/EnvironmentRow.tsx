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
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import type { Freshness } from '../common';
import {
  CanaryStatus,
  DriftBadge,
  FrozenChip,
  GateStatus,
  PullRequestLink,
  RejectedBadge,
  RelativeTime,
  ServingBadge,
  SyncHealth,
  describeLiveObject,
  shortSha,
} from '../common';

const useStyles = makeStyles(theme => ({
  versions: {
    display: 'grid',
    gridTemplateColumns: 'auto auto',
    columnGap: theme.spacing(1),
    alignItems: 'baseline',
    justifyContent: 'start',
    whiteSpace: 'nowrap',
  },
  version: {
    fontWeight: theme.typography.fontWeightBold as number,
  },
  mismatch: {
    fontWeight: theme.typography.fontWeightBold as number,
    color: theme.palette.error.main,
  },
  drift: {
    minWidth: 160,
  },
  reason: {
    maxWidth: 320,
    display: '-webkit-box',
    '-webkit-line-clamp': 3,
    '-webkit-box-orient': 'vertical',
    overflow: 'hidden',
  },
}));

function Secondary(props: {
  children: ReactNode;
  className?: string;
  title?: string;
  component?: 'div' | 'span';
}) {
  return (
    <Typography
      variant="caption"
      color="textSecondary"
      component={props.component ?? 'div'}
      className={props.className}
      title={props.title}
    >
      {props.children}
    </Typography>
  );
}

/** One environment of the deployments card. */
export function EnvironmentRow(props: {
  environment: EnvironmentStatus;
  freshness?: Freshness;
}) {
  const { environment, freshness } = props;
  const { declared, live, drift } = environment;
  const classes = useStyles();
  const liveMismatch =
    declared &&
    typeof live?.version === 'string' &&
    live.version !== declared.version;

  let liveVersion: ReactNode;
  if (!live) {
    liveVersion = <Secondary component="span">Not reported</Secondary>;
  } else {
    liveVersion = (
      <span
        className={liveMismatch ? classes.mismatch : classes.version}
        title={describeLiveObject(live)}
      >
        {live.version ?? 'not readable'}
      </span>
    );
  }

  return (
    <TableRow>
      <TableCell component="th" scope="row" role="rowheader">
        <Typography variant="subtitle2">{environment.name}</Typography>
        <FrozenChip
          environment={environment.name}
          freeze={environment.freeze}
        />
      </TableCell>
      <TableCell>
        <div className={classes.versions}>
          <Secondary component="span">Git</Secondary>
          {declared ? (
            <span className={classes.version}>{declared.version}</span>
          ) : (
            <Secondary component="span">Nothing declared</Secondary>
          )}
          <Secondary component="span">Live</Secondary>
          {liveVersion}
        </div>
        {declared && <Secondary>commit {shortSha(declared.commit)}</Secondary>}
      </TableCell>
      <TableCell className={classes.drift}>
        <DriftBadge drift={drift} freshness={freshness} />
        {drift.since && drift.state !== 'in-sync' && (
          <Secondary>
            <RelativeTime value={drift.since} prefix="since " />
          </Secondary>
        )}
        {drift.reason && drift.state !== 'in-sync' && (
          <Secondary className={classes.reason} title={drift.reason}>
            {drift.reason}
          </Secondary>
        )}
      </TableCell>
      <TableCell>
        {live ? (
          <SyncHealth
            syncStatus={live.syncStatus}
            healthStatus={live.healthStatus}
          />
        ) : (
          <Secondary>No operator reports it</Secondary>
        )}
        <ServingBadge serving={live?.serving} />
        <GateStatus registry={environment.registry} />
        <RejectedBadge registry={environment.registry} />
        <CanaryStatus canary={environment.canary} />
        {live && (
          <Secondary>
            <RelativeTime value={live.observedAt} prefix="observed " />
          </Secondary>
        )}
      </TableCell>
      <TableCell>
        {declared ? (
          <>
            <div>
              {declared.author}, <RelativeTime value={declared.committedAt} />
            </div>
            {declared.pullRequest && (
              <Secondary>
                <PullRequestLink pullRequest={declared.pullRequest} />
                {declared.pullRequest.mergedBy &&
                  ` merged by ${declared.pullRequest.mergedBy}`}
              </Secondary>
            )}
          </>
        ) : (
          <Secondary>—</Secondary>
        )}
      </TableCell>
    </TableRow>
  );
}
