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

import { useCallback, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import { useApi } from '@backstage/core-plugin-api';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import type { AuditEvent } from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsApiRef } from '../../api';
import { useLiveData } from '../../hooks/useLiveData';
import { StaleDataNotice } from '../common';
import {
  computeDeliveryMetrics,
  formatSpan,
  METRICS_WINDOWS,
  type DeliveryMetrics,
  type MeasuredMedian,
  type MetricsWindow,
} from './deliveryMetrics';
import {
  CHART_WIDTH,
  ChartDrawing,
  ChartLegendItem,
  ChartValueAxis,
  useChartStyles,
} from './chartParts';

const DAY_MS = 24 * 3600 * 1000;
/** Events asked for per page of the audit export (the route's maximum). */
export const METRICS_PAGE_SIZE = 1000;

const WIDTH = CHART_WIDTH;
const HEIGHT = 170;
const PADDING = { top: 14, right: 12, bottom: 26, left: 40 };

const useStyles = makeStyles(theme => ({
  stats: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(180px, 1fr))',
    gap: theme.spacing(2),
    margin: theme.spacing(0, 0, 2, 0),
  },
  stat: {
    margin: 0,
  },
  term: {
    ...theme.typography.caption,
    color: theme.palette.text.secondary,
  },
  value: {
    ...theme.typography.h6,
    margin: 0,
  },
  detail: {
    ...theme.typography.body2,
    color: theme.palette.text.secondary,
    margin: 0,
  },
}));

function plural(count: number, one: string, many: string) {
  return `${count} ${count === 1 ? one : many}`;
}

function day(iso: string) {
  return iso.slice(0, 10);
}

function medianText(value: MeasuredMedian, what: string) {
  if (value.medianSeconds === undefined) {
    return value.of === 0 ? `no ${what}` : 'not measured';
  }
  return formatSpan(value.medianSeconds);
}

function measuredText(value: MeasuredMedian, what: string, whats: string) {
  if (value.of === 0) return `no ${what} in the window`;
  return `median of ${value.measured} measured of ${plural(
    value.of,
    what,
    whats,
  )}`;
}

/** The four numbers, as text a person (and a screen reader) reads. */
function Stats(props: { metrics: DeliveryMetrics }) {
  const { metrics } = props;
  const classes = useStyles();
  const rate =
    metrics.changeFailureRate === undefined
      ? 'no deployment'
      : `${Math.round(metrics.changeFailureRate * 100)} %`;
  const entries: [string, string, string][] = [
    [
      'Deployment frequency',
      `${metrics.perWeek.toFixed(1)} a week`,
      `${plural(metrics.deployments, 'deployment', 'deployments')} in ${
        metrics.days
      } days`,
    ],
    [
      'Lead time, registry to serving',
      medianText(metrics.leadTime, 'deployment'),
      measuredText(metrics.leadTime, 'deployment', 'deployments'),
    ],
    [
      'Change failure rate',
      rate,
      `${plural(metrics.rollbacks, 'rollback', 'rollbacks')} ÷ ${plural(
        metrics.deployments,
        'deployment',
        'deployments',
      )}`,
    ],
    [
      'Time to restore',
      medianText(metrics.timeToRestore, 'rollback'),
      `${measuredText(
        metrics.timeToRestore,
        'rollback',
        'rollbacks',
      )}, rollback merge to serving`,
    ],
  ];
  return (
    <dl className={classes.stats}>
      {entries.map(([term, value, detail]) => (
        <div key={term} className={classes.stat}>
          <dt className={classes.term}>{term}</dt>
          <dd className={classes.value}>{value}</dd>
          <dd className={classes.detail}>{detail}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Deployments and rollbacks per day (per week beyond a month), stacked. */
function FrequencyChart(props: { metrics: DeliveryMetrics }) {
  const { metrics } = props;
  const chart = useChartStyles();
  const theme = useTheme();
  const colors = {
    deployments: theme.palette.primary.main,
    rollbacks: theme.palette.error.main,
  };
  const unit = metrics.bucketDays === 1 ? 'day' : 'week';
  const most = Math.max(
    1,
    ...metrics.buckets.map(b => b.deployments + b.rollbacks),
  );
  const plotWidth = WIDTH - PADDING.left - PADDING.right;
  const plotHeight = HEIGHT - PADDING.top - PADDING.bottom;
  const bottom = PADDING.top + plotHeight;
  const height = (count: number) => (plotHeight * count) / most;
  const slot = plotWidth / metrics.buckets.length;
  const barWidth = Math.max(2, Math.min(28, slot * 0.7));
  const label = `Deployments and rollbacks per ${unit} over the last ${
    metrics.days
  } days: ${plural(metrics.deployments, 'deployment', 'deployments')}, ${plural(
    metrics.rollbacks,
    'rollback',
    'rollbacks',
  )}`;

  return (
    <figure style={{ margin: 0 }}>
      <ChartDrawing height={HEIGHT} label={label}>
        <ChartValueAxis
          left={PADDING.left}
          right={WIDTH - PADDING.right}
          top={PADDING.top}
          bottom={bottom}
          most={most}
        />
        {metrics.buckets.map((bucket, index) => {
          const x = PADDING.left + slot * index + (slot - barWidth) / 2;
          const deployed = height(bucket.deployments);
          const rolledBack = height(bucket.rollbacks);
          return (
            <g key={bucket.start} data-testid="metrics-bar">
              <title>
                {`${day(bucket.start)}${
                  unit === 'week' ? ` to ${day(bucket.end)}` : ''
                }: ${plural(
                  bucket.deployments,
                  'deployment',
                  'deployments',
                )}, ${plural(bucket.rollbacks, 'rollback', 'rollbacks')}`}
              </title>
              {bucket.deployments > 0 && (
                <rect
                  x={x}
                  y={bottom - deployed}
                  width={barWidth}
                  height={deployed}
                  fill={colors.deployments}
                />
              )}
              {bucket.rollbacks > 0 && (
                <rect
                  x={x}
                  y={bottom - deployed - rolledBack}
                  width={barWidth}
                  height={rolledBack}
                  fill={colors.rollbacks}
                />
              )}
            </g>
          );
        })}
        <text
          x={PADDING.left}
          y={HEIGHT - 6}
          fontSize={11}
          fill={theme.palette.text.secondary}
        >
          {day(metrics.from)}
        </text>
        <text
          x={WIDTH - PADDING.right}
          y={HEIGHT - 6}
          textAnchor="end"
          fontSize={11}
          fill={theme.palette.text.secondary}
        >
          {day(metrics.to)}
        </text>
      </ChartDrawing>
      <figcaption className={chart.legend}>
        <ChartLegendItem color={colors.deployments}>
          Deployments (deploys and promotions) per {unit}
        </ChartLegendItem>
        <ChartLegendItem color={colors.rollbacks}>
          Rollbacks per {unit}
        </ChartLegendItem>
      </figcaption>
    </figure>
  );
}

/**
 * Loads the audit export's events of one model over the last `days` days,
 * every page, and keeps them fresh while the tab is open.
 */
function useWindowEvents(entityRef: string, days: number, now: () => number) {
  const api = useApi(mlGitopsApiRef);
  // The clock is read at each load; a new function each render must not
  // cause a reload.
  const clock = useRef(now);
  clock.current = now;
  const load = useCallback(async () => {
    const to = new Date(clock.current());
    const from = new Date(to.getTime() - days * DAY_MS);
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.getAuditEvents({
        entityRef,
        from: from.toISOString(),
        to: to.toISOString(),
        limit: METRICS_PAGE_SIZE,
        cursor,
      });
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return { from, to, events };
  }, [api, entityRef, days]);
  return useLiveData(load, { entityRef, resetKey: `${entityRef}|${days}` });
}

/**
 * Delivery metrics of one environment over a window a person chooses:
 * deployment frequency (drawn per day or week with the rollbacks), lead
 * time from the registry's registration to serving, change failure rate and
 * time to restore, each also as text. Computed in the browser from the
 * audit export (`GET /v1/audit/events`) of the model for the window.
 */
export function DeliveryMetricsCard(props: {
  entityRef: string;
  environment: string;
  /** The clock; tests pass a fixed one. */
  now?: () => number;
}) {
  const { entityRef, environment } = props;
  const now = props.now ?? Date.now;
  const [days, setDays] = useState<MetricsWindow>(30);
  const data = useWindowEvents(entityRef, days, now);
  const metrics = data.value
    ? computeDeliveryMetrics(data.value.events, environment, data.value)
    : undefined;

  return (
    <InfoCard
      title="Delivery metrics"
      subheader={`${environment}, the last ${days} days`}
      action={
        <Box mt={1} mr={1}>
          <ButtonGroup size="small" aria-label="Window">
            {METRICS_WINDOWS.map(option => (
              <Button
                key={option}
                aria-pressed={option === days}
                variant={option === days ? 'contained' : 'outlined'}
                color={option === days ? 'primary' : 'default'}
                onClick={() => setDays(option)}
              >
                {option} days
              </Button>
            ))}
          </ButtonGroup>
        </Box>
      }
    >
      {!metrics && data.error && <ResponseErrorPanel error={data.error} />}
      {!metrics && !data.error && <Progress />}
      {metrics && (
        <>
          <StaleDataNotice error={data.error} />
          <Stats metrics={metrics} />
          <FrequencyChart metrics={metrics} />
        </>
      )}
    </InfoCard>
  );
}
