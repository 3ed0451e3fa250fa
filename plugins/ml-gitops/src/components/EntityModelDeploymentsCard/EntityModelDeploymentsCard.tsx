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

import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useEntityDeployments } from '../../hooks/useEntityDeployments';
import { RequireMlGitopsAnnotations } from '../MissingAnnotations/MissingAnnotations';
import { freshnessOf, StaleDataNotice } from '../common';
import { EnvironmentRow } from './EnvironmentRow';

const COLUMNS = [
  'Environment',
  'Version',
  'Drift',
  'Status',
  'Last deployment',
];

const useStyles = makeStyles({
  header: {
    whiteSpace: 'nowrap',
  },
  scroll: {
    overflowX: 'auto',
  },
});

function DeploymentsTable() {
  const { value, error, loading } = useEntityDeployments();
  const classes = useStyles();

  if (!value) {
    if (error) {
      return <ResponseErrorPanel error={error} />;
    }
    return <Progress />;
  }
  if (value.environments.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        The backend tracks no environment for model {value.model} yet.
      </Typography>
    );
  }
  return (
    <>
      <StaleDataNotice error={error} />
      <div className={classes.scroll}>
        <Table
          size="small"
          aria-label={`Deployments of ${value.model}`}
          aria-busy={loading}
        >
          <TableHead>
            <TableRow>
              {COLUMNS.map(column => (
                <TableCell key={column} className={classes.header}>
                  {column}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {value.environments.map(environment => (
              <EnvironmentRow
                key={environment.name}
                environment={environment}
                freshness={freshnessOf(environment, value)}
              />
            ))}
          </TableBody>
        </Table>
      </div>
    </>
  );
}

/**
 * Overview card: which model version serves in which environment, whether it
 * is what Git declares, and who put it there.
 *
 * @public
 */
export function EntityModelDeploymentsCard(props: { title?: string }) {
  return (
    <InfoCard
      title={props.title ?? 'Model deployments'}
      subheader="Git declares, the cluster runs"
    >
      <RequireMlGitopsAnnotations>
        <DeploymentsTable />
      </RequireMlGitopsAnnotations>
    </InfoCard>
  );
}
