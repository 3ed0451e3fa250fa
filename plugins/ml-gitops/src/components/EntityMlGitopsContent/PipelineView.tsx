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

import { Fragment } from 'react';
import Box from '@material-ui/core/Box';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type {
  DeploymentsResponse,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  CanaryStatus,
  DriftBadge,
  FreezeNotice,
  GateStatus,
  PullRequestLink,
  RejectedBadge,
  RelativeTime,
  ServingBadge,
  SyncHealth,
} from '../common';
import { type Freshness, freshnessOf } from '../common/staleness';
import { PromoteButton, RollbackButton } from './ChangeButtons';

const useStyles = makeStyles(theme => ({
  pipeline: {
    display: 'flex',
    alignItems: 'stretch',
    gap: theme.spacing(1),
    overflowX: 'auto',
    paddingBottom: theme.spacing(1),
  },
  column: {
    flex: '1 1 0',
    minWidth: 220,
    padding: theme.spacing(2),
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  },
  header: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'baseline',
    gap: theme.spacing(1),
  },
  versions: {
    display: 'grid',
    gridTemplateColumns: 'auto 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    alignItems: 'baseline',
  },
  bigVersion: {
    fontSize: theme.typography.h5.fontSize,
    fontWeight: theme.typography.fontWeightBold as number,
  },
  mismatch: {
    color: theme.palette.error.main,
  },
  between: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    minWidth: 150,
  },
  footer: {
    marginTop: 'auto',
    paddingTop: theme.spacing(1),
  },
}));

function EnvironmentColumn(props: {
  entityRef: string;
  environment: EnvironmentStatus;
  freshness?: Freshness;
}) {
  const { entityRef, environment, freshness } = props;
  const { declared, live, drift } = environment;
  const classes = useStyles();
  const mismatch =
    declared &&
    typeof live?.version === 'string' &&
    live.version !== declared.version;
  return (
    <Paper
      variant="outlined"
      className={classes.column}
      component="section"
      aria-label={`Environment ${environment.name}`}
    >
      <div className={classes.header}>
        <Typography variant="h6" component="h3">
          {environment.name}
        </Typography>
        <DriftBadge drift={drift} freshness={freshness} />
      </div>
      {drift.reason && drift.state !== 'in-sync' && (
        <Typography variant="caption" color="textSecondary">
          {drift.reason}
        </Typography>
      )}
      <FreezeNotice
        environment={environment.name}
        freeze={environment.freeze}
      />
      <div className={classes.versions}>
        <Typography variant="body2" color="textSecondary">
          Git declares
        </Typography>
        <span className={classes.bigVersion}>{declared?.version ?? '—'}</span>
        <Typography variant="body2" color="textSecondary">
          Live runs
        </Typography>
        <span
          className={`${classes.bigVersion} ${
            mismatch ? classes.mismatch : ''
          }`}
        >
          {live ? live.version ?? '?' : '—'}
        </span>
      </div>
      {live ? (
        <SyncHealth
          syncStatus={live.syncStatus}
          healthStatus={live.healthStatus}
        />
      ) : (
        <Typography variant="body2" color="textSecondary">
          No operator reports this environment
        </Typography>
      )}
      <ServingBadge serving={live?.serving} />
      <GateStatus registry={environment.registry} />
      <RejectedBadge registry={environment.registry} />
      <CanaryStatus canary={environment.canary} />
      {declared && (
        <Typography variant="body2">
          {declared.author}, <RelativeTime value={declared.committedAt} />{' '}
          <PullRequestLink pullRequest={declared.pullRequest} />
        </Typography>
      )}
      {live && (
        <Typography variant="caption" color="textSecondary">
          Observed <RelativeTime value={live.observedAt} />
        </Typography>
      )}
      <div className={classes.footer}>
        <RollbackButton entityRef={entityRef} environment={environment} />
      </div>
    </Paper>
  );
}

/** The environments as columns in promotion order, with the changes between. */
export function PipelineView(props: {
  entityRef: string;
  environments: EnvironmentStatus[];
  /** When the model was polled and when that turns stale. */
  freshness?: Pick<DeploymentsResponse, 'observedAt' | 'staleAfterSeconds'>;
}) {
  const { entityRef, environments, freshness = {} } = props;
  const classes = useStyles();
  return (
    <Box
      className={classes.pipeline}
      role="group"
      aria-label="Promotion pipeline"
    >
      {environments.map((environment, index) => (
        <Fragment key={environment.name}>
          {index > 0 && (
            <div className={classes.between}>
              <PromoteButton
                entityRef={entityRef}
                source={environments[index - 1]}
                target={environment}
              />
            </div>
          )}
          <EnvironmentColumn
            entityRef={entityRef}
            environment={environment}
            freshness={freshnessOf(environment, freshness)}
          />
        </Fragment>
      ))}
    </Box>
  );
}
