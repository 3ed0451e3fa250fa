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
import Divider from '@material-ui/core/Divider';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { makeStyles } from '@material-ui/core/styles';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusOK,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import {
  mlGitopsDeploymentRefreshPermission,
  type EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsApiRef } from '../../api';
import { useEntityDeployments } from '../../hooks/useEntityDeployments';
import { RequireMlGitopsAnnotations } from '../MissingAnnotations/MissingAnnotations';
import {
  DRIFT_SEVERITY,
  DriftBadge,
  LiveObject,
  PermissionedButton,
  RelativeTime,
  StaleDataNotice,
  DRIFT_PRESENTATION,
  errorMessage,
  freshnessOf,
  type Freshness,
} from '../common';
import { driftAdvice } from './advice';

const useStyles = makeStyles(theme => ({
  episode: {
    padding: theme.spacing(1.5, 0),
  },
  heading: {
    display: 'flex',
    alignItems: 'baseline',
    gap: theme.spacing(2),
    flexWrap: 'wrap',
  },
  label: {
    fontWeight: theme.typography.fontWeightMedium as number,
    marginRight: theme.spacing(0.5),
  },
}));

function Fact(props: { label: string; children: React.ReactNode }) {
  const classes = useStyles();
  return (
    <Typography variant="body2" component="div">
      <span className={classes.label}>{props.label}:</span>
      {props.children}
    </Typography>
  );
}

function DriftEpisode(props: {
  model: string;
  environment: EnvironmentStatus;
  freshness?: Freshness;
}) {
  const { model, environment, freshness } = props;
  const { drift, declared, live } = environment;
  const classes = useStyles();
  return (
    <section
      className={classes.episode}
      aria-label={`Drift in ${environment.name}`}
    >
      <div className={classes.heading}>
        <Typography variant="h6" component="h3">
          {environment.name}
        </Typography>
        <DriftBadge drift={drift} freshness={freshness} />
        {drift.since && (
          <Typography variant="body2" color="textSecondary">
            <RelativeTime value={drift.since} prefix="since " />
          </Typography>
        )}
      </div>
      <Fact label="Why">
        {drift.reason ?? DRIFT_PRESENTATION[drift.state]?.meaning}
      </Fact>
      <Fact label="Versions">
        Git declares {declared?.version ?? 'nothing'}, live runs{' '}
        {live ? live.version ?? 'an unreadable version' : 'nothing reported'}
        {live && (
          <>
            {' '}
            (observed <RelativeTime value={live.observedAt} />)
          </>
        )}
      </Fact>
      {live && (
        <Fact label="Where">
          <LiveObject live={live} />
        </Fact>
      )}
      <Fact label="What to do">{driftAdvice(model, environment)}</Fact>
    </section>
  );
}

/**
 * The current drift episodes of this model: each environment that is not in
 * sync, since when, why and what to do; with a button to poll now.
 *
 * @public
 */
export function EntityModelDriftCard(props: { title?: string }) {
  const title = props.title ?? 'Model drift';
  return (
    <RequireMlGitopsAnnotations cardTitle={title}>
      <DriftCardContent title={title} />
    </RequireMlGitopsAnnotations>
  );
}

function DriftCardContent(props: { title: string }) {
  const { value, error, loading, reload, entityRef } = useEntityDeployments();
  const api = useApi(mlGitopsApiRef);
  const alertApi = useApi(alertApiRef);
  const [refreshing, setRefreshing] = useState(false);

  const onRefresh = async () => {
    setRefreshing(true);
    try {
      await api.refresh({ entityRef });
      reload();
    } catch (e) {
      alertApi.post({
        message: `Could not refresh ${entityRef}: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setRefreshing(false);
    }
  };

  const refreshButton = (
    <PermissionedButton
      permission={mlGitopsDeploymentRefreshPermission}
      resourceRef={entityRef}
      deniedReason="You are not allowed to refresh this model (ml-gitops.deployment.refresh)."
      hint="Ask the backend to read Git, the operator and the registry now"
      busy={refreshing}
      onClick={onRefresh}
      startIcon={<RefreshIcon />}
      size="small"
    >
      {refreshing ? 'Refreshing…' : 'Refresh'}
    </PermissionedButton>
  );

  let content: React.ReactNode;
  if (!value) {
    content = error ? <ResponseErrorPanel error={error} /> : <Progress />;
  } else {
    const episodes = value.environments
      .filter(environment => environment.drift.state !== 'in-sync')
      .sort(
        (a, b) => DRIFT_SEVERITY[a.drift.state] - DRIFT_SEVERITY[b.drift.state],
      );
    content = (
      <Box aria-busy={loading || refreshing}>
        <StaleDataNotice error={error} />
        {episodes.length === 0 ? (
          <StatusOK>
            {value.environments.length === 0
              ? 'No environment is tracked yet.'
              : 'Every environment runs what Git declares.'}
          </StatusOK>
        ) : (
          episodes.map((environment, index) => (
            <div key={environment.name}>
              {index > 0 && <Divider />}
              <DriftEpisode
                model={value.model}
                environment={environment}
                freshness={freshnessOf(environment, value)}
              />
            </div>
          ))
        )}
      </Box>
    );
  }

  return (
    <InfoCard
      title={props.title}
      action={
        <Box mt={1} mr={1}>
          {refreshButton}
        </Box>
      }
    >
      {content}
    </InfoCard>
  );
}
