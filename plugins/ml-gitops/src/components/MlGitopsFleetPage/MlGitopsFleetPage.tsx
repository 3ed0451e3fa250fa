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

import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Paper from '@material-ui/core/Paper';
import Select from '@material-ui/core/Select';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  Content,
  Header,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  DRIFT_STATES,
  type DeploymentsResponse,
  type DriftState,
} from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsApiRef, type MlGitopsApi } from '../../api';
import { useLiveData } from '../../hooks/useLiveData';
import {
  CanaryStatus,
  DRIFT_PRESENTATION,
  DriftBadge,
  ServingBadge,
  StaleDataNotice,
} from '../common';
import {
  countStates,
  filterFleet,
  fleetFromDeployments,
  fleetFromDrift,
  type Fleet,
  type FleetCell,
  type FleetRow,
} from './fleet';
import { EntityTabRedirect } from './EntityTabRedirect';

/** Models fetched per request of the fleet endpoint. */
export const FLEET_PAGE_SIZE = 100;
/** A safety stop: never fetch more than this many pages per load. */
const MAX_FLEET_PAGES = 50;

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    gap: theme.spacing(2),
    alignItems: 'flex-end',
    flexWrap: 'wrap',
    marginBottom: theme.spacing(2),
  },
  select: {
    minWidth: 180,
  },
  // the default grey label is below 4.5:1 on the page background
  label: {
    color: theme.palette.text.primary,
  },
  counts: {
    display: 'flex',
    gap: theme.spacing(3),
    flexWrap: 'wrap',
  },
  versions: {
    display: 'block',
  },
}));

async function loadFleet(api: MlGitopsApi): Promise<Fleet> {
  try {
    const models: DeploymentsResponse[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_FLEET_PAGES; page++) {
      const response = await api.getFleet({ limit: FLEET_PAGE_SIZE, cursor });
      models.push(...response.items);
      cursor = response.nextCursor;
      if (!cursor) break;
    }
    return fleetFromDeployments(models);
  } catch (error) {
    // A backend without the (proposed) fleet endpoint still answers /v1/drift.
    if ((error as { statusCode?: number }).statusCode === 404) {
      return fleetFromDrift((await api.getDrift()).items);
    }
    throw error;
  }
}

function EntityLink(props: { row: FleetRow }) {
  const { row } = props;
  const entityRoute = useRouteRef(entityRouteRef);
  let to: string | undefined;
  try {
    to = entityRoute(
      entityRouteParams(parseEntityRef(row.entityRef), { encodeParams: true }),
    );
  } catch {
    to = undefined;
  }
  return (
    <>
      {to ? <Link to={to}>{row.model}</Link> : row.model}
      <Typography variant="caption" color="textSecondary" component="div">
        {row.entityRef}
      </Typography>
    </>
  );
}

function Cell(props: { cell?: FleetCell; partial: boolean }) {
  const { cell, partial } = props;
  const classes = useStyles();
  if (!cell) {
    return (
      <Typography variant="body2" color="textSecondary">
        {partial ? 'in sync or not tracked' : 'not deployed'}
      </Typography>
    );
  }
  return (
    <>
      <DriftBadge drift={cell.drift} freshness={cell.freshness} />
      {cell.detailed && (
        <Typography variant="caption" className={classes.versions}>
          Git {cell.declared ?? '—'} · live{' '}
          {cell.live === undefined ? '—' : cell.live ?? '?'}
        </Typography>
      )}
      <ServingBadge serving={cell.serving} />
      <CanaryStatus canary={cell.canary} />
    </>
  );
}

function FleetMatrix() {
  const api = useApi(mlGitopsApiRef);
  const classes = useStyles();
  const load = useCallback(() => loadFleet(api), [api]);
  const { value, error, loading } = useLiveData(load);
  const [state, setState] = useState<DriftState | ''>('');
  const [environment, setEnvironment] = useState('');

  const filtered = useMemo(
    () =>
      value &&
      filterFleet(value, {
        state: state || undefined,
        environment: environment || undefined,
      }),
    [value, state, environment],
  );

  if (!value || !filtered) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }
  const counts = countStates(filtered);

  return (
    <>
      <StaleDataNotice error={error} />
      {value.partial && (
        <Typography variant="body2" color="textSecondary" paragraph>
          This backend has no fleet endpoint, so only environments that are not
          in sync are listed.
        </Typography>
      )}
      <div className={classes.filters}>
        <FormControl className={classes.select}>
          <InputLabel
            id="ml-gitops-fleet-state"
            shrink
            className={classes.label}
          >
            Drift state
          </InputLabel>
          <Select
            labelId="ml-gitops-fleet-state"
            // a name makes the accessible name "label + shown value"
            name="state"
            displayEmpty
            value={state}
            onChange={e => setState(e.target.value as DriftState | '')}
          >
            <MenuItem value="">All states</MenuItem>
            {DRIFT_STATES.map(s => (
              <MenuItem key={s} value={s}>
                {DRIFT_PRESENTATION[s].label}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControl className={classes.select}>
          <InputLabel
            id="ml-gitops-fleet-environment"
            shrink
            className={classes.label}
          >
            Environment
          </InputLabel>
          <Select
            labelId="ml-gitops-fleet-environment"
            // a name makes the accessible name "label + shown value"
            name="environment"
            displayEmpty
            value={environment}
            onChange={e => setEnvironment(e.target.value as string)}
          >
            <MenuItem value="">All environments</MenuItem>
            {value.environments.map(e => (
              <MenuItem key={e} value={e}>
                {e}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <div
          className={classes.counts}
          aria-label="Environments by drift state"
        >
          {DRIFT_STATES.filter(s => counts[s] > 0).map(s => (
            <Typography key={s} variant="body2">
              {counts[s]}{' '}
              {DRIFT_PRESENTATION[s].label.toLocaleLowerCase('en-US')}
            </Typography>
          ))}
        </div>
      </div>
      {value.rows.length === 0 ? (
        <Typography variant="body1" color="textSecondary">
          {value.partial
            ? 'Every tracked environment runs what Git declares.'
            : 'No model is tracked yet. Annotate a catalog entity with ml-gitops/model and ml-gitops/config-repo.'}
        </Typography>
      ) : (
        <TableContainer component={Paper}>
          <Table
            size="small"
            aria-label="Models by environment"
            aria-busy={loading}
          >
            <TableHead>
              <TableRow>
                <TableCell>Model</TableCell>
                {filtered.environments.map(e => (
                  <TableCell key={e}>{e}</TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {filtered.rows.map(row => (
                <TableRow key={row.entityRef}>
                  <TableCell component="th" scope="row" role="rowheader">
                    <EntityLink row={row} />
                  </TableCell>
                  {filtered.environments.map(e => (
                    <TableCell key={e}>
                      <Cell cell={row.cells.get(e)} partial={value.partial} />
                    </TableCell>
                  ))}
                </TableRow>
              ))}
              {filtered.rows.length === 0 && (
                <TableRow>
                  <TableCell colSpan={filtered.environments.length + 1}>
                    <Box p={1}>No model matches these filters.</Box>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </>
  );
}

/**
 * The fleet matrix inside the page's content area, without a header. With
 * `?entity=<ref>` (the link of a notification) it leads to that model's tab.
 */
export function MlGitopsFleetContent() {
  const [params] = useSearchParams();
  const entityRef = params.get('entity');
  return (
    <Content>
      {entityRef !== null && <EntityTabRedirect entityRef={entityRef} />}
      <FleetMatrix />
    </Content>
  );
}

/**
 * The fleet page: every model × environment, drifted first.
 *
 * @public
 */
export function MlGitopsFleetPage() {
  return (
    <Page themeId="tool">
      <Header
        title="ML GitOps"
        subtitle="Which model version serves where, and whether it is what Git declares"
      />
      <MlGitopsFleetContent />
    </Page>
  );
}
