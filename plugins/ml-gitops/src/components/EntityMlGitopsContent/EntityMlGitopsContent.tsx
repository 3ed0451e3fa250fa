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
import Grid from '@material-ui/core/Grid';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useEntityDeployments } from '../../hooks/useEntityDeployments';
import { RequireMlGitopsAnnotations } from '../MissingAnnotations/MissingAnnotations';
import { StaleDataNotice } from '../common';
import { AuditCsvDownload } from './AuditCsvDownload';
import { DeliveryMetricsCard } from './DeliveryMetricsCard';
import { DeploymentHistory } from './DeploymentHistory';
import { PipelineView } from './PipelineView';
import { RegistryPanel } from './RegistryPanel';
import { TimeToServeChart } from './TimeToServeChart';
import { useHistory } from './useHistory';
import type { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';

/** The design's default rollback target: 5 minutes from merge to serving. */
export const DEFAULT_ROLLBACK_TARGET_SECONDS = 300;

/** Props of {@link EntityMlGitopsContent}. @public */
export type EntityMlGitopsContentProps = {
  /**
   * The rollback target drawn on the time-to-serve chart, in seconds
   * (`mlGitops.rollbackTarget`; 5 minutes by default).
   */
  rollbackTargetSeconds?: number;
};

function EnvironmentDetails(props: {
  entityRef: string;
  environment: EnvironmentStatus;
  targetSeconds: number;
}) {
  const { entityRef, environment, targetSeconds } = props;
  const history = useHistory(entityRef, environment.name);
  const items = history.value?.items;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <DeliveryMetricsCard
          entityRef={entityRef}
          environment={environment.name}
        />
      </Grid>
      <Grid item xs={12} lg={7}>
        <InfoCard
          title="Time to serve"
          subheader="From merge to the version serving"
        >
          {items ? (
            <TimeToServeChart
              deployments={items}
              targetSeconds={targetSeconds}
            />
          ) : (
            !history.error && <Progress />
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} lg={5}>
        <InfoCard title="Model registry" subheader="The declared version">
          <RegistryPanel environment={environment} />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        {!history.value && history.error && (
          <ResponseErrorPanel error={history.error} />
        )}
        {!history.value && !history.error && <Progress />}
        {history.value && (
          <>
            <StaleDataNotice error={history.error} />
            <DeploymentHistory
              environment={environment.name}
              items={history.value.items}
              hasMore={history.value.hasMore}
              loadingMore={history.loading}
              onLoadMore={history.loadMore}
              targetSeconds={targetSeconds}
              readingOlder={history.value.readingOlder}
            />
          </>
        )}
      </Grid>
    </Grid>
  );
}

function Content(props: { targetSeconds: number }) {
  const { value, error, entityRef } = useEntityDeployments();
  const [selected, setSelected] = useState<string | undefined>();

  if (!value) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }
  if (value.environments.length === 0) {
    return (
      <Typography variant="body1" color="textSecondary">
        The backend tracks no environment for model {value.model} yet.
      </Typography>
    );
  }
  const names = value.environments.map(e => e.name);
  const current =
    selected && names.includes(selected) ? selected : names[names.length - 1];
  const environment = value.environments.find(e => e.name === current)!;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <StaleDataNotice error={error} />
        <InfoCard
          title={`Pipeline of ${value.model}`}
          subheader="Promotion order, as Git declares and the cluster runs"
        >
          <PipelineView
            entityRef={entityRef}
            environments={value.environments}
            freshness={value}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <Tabs
          value={current}
          onChange={(_, next: string) => setSelected(next)}
          indicatorColor="primary"
          aria-label="Environment"
        >
          {names.map(name => (
            <Tab key={name} value={name} label={name} />
          ))}
        </Tabs>
        <Box mt={2} role="tabpanel" aria-label={`Details of ${current}`}>
          <EnvironmentDetails
            key={current}
            entityRef={entityRef}
            environment={environment}
            targetSeconds={props.targetSeconds}
          />
        </Box>
      </Grid>
      <Grid item xs={12}>
        <InfoCard
          title="Audit export"
          subheader={`Every deployment, promotion, rollback and drift episode of ${value.model}, all environments, as CSV`}
        >
          <AuditCsvDownload entityRef={entityRef} />
        </InfoCard>
      </Grid>
    </Grid>
  );
}

/**
 * The ML GitOps entity tab: the promotion pipeline with Promote and Rollback,
 * per environment its delivery metrics, history, time to serve and registry
 * state, and the model's audit export as CSV.
 *
 * @public
 */
export function EntityMlGitopsContent(props: EntityMlGitopsContentProps = {}) {
  return (
    <RequireMlGitopsAnnotations>
      <Content
        targetSeconds={
          props.rollbackTargetSeconds ?? DEFAULT_ROLLBACK_TARGET_SECONDS
        }
      />
    </RequireMlGitopsAnnotations>
  );
}
