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

import Typography from '@material-ui/core/Typography';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import type { Deployment } from '@ml-gitops/plugin-ml-gitops-common';
import { formatAbsolute, formatDuration } from '../common';
import {
  CHART_WIDTH,
  ChartDrawing,
  ChartLegendItem,
  ChartValueAxis,
  useChartStyles,
} from './chartParts';
import { median } from './deliveryMetrics';

const WIDTH = CHART_WIDTH;
const HEIGHT = 180;
const PADDING = { top: 16, right: 12, bottom: 24, left: 76 };
/** How many of the newest deployments the chart shows. */
export const CHART_MAX_BARS = 60;

const useStyles = makeStyles(theme => ({
  summary: {
    marginTop: theme.spacing(1),
  },
}));

/** Summarises how fast rollbacks served against the target. */
export function summarizeRollbacks(
  deployments: Deployment[],
  targetSeconds: number,
): string {
  const rollbacks = deployments.filter(
    d => d.kind === 'rollback' && d.timeToServeSeconds !== undefined,
  );
  if (rollbacks.length === 0) {
    return `No measured rollback yet; the target is ${formatDuration(
      targetSeconds,
    )}.`;
  }
  const times = rollbacks.map(d => d.timeToServeSeconds!);
  const over = times.filter(t => t > targetSeconds).length;
  return `Rollbacks: median ${formatDuration(median(times)!)}, ${over} of ${
    rollbacks.length
  } over the ${formatDuration(targetSeconds)} target.`;
}

/**
 * Time from merge to the version serving, per deployment (oldest left), with
 * the rollback target as a dashed line. Plain SVG.
 */
export function TimeToServeChart(props: {
  deployments: Deployment[];
  targetSeconds: number;
}) {
  const { targetSeconds } = props;
  const classes = useStyles();
  const chart = useChartStyles();
  const theme = useTheme();
  const measured = props.deployments
    .filter(d => d.timeToServeSeconds !== undefined)
    .slice(0, CHART_MAX_BARS)
    .reverse();

  if (measured.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No deployment of this environment has a measured time to serve yet.
      </Typography>
    );
  }

  const maxValue = Math.max(
    targetSeconds * 1.25,
    ...measured.map(d => d.timeToServeSeconds!),
  );
  const plotWidth = WIDTH - PADDING.left - PADDING.right;
  const plotHeight = HEIGHT - PADDING.top - PADDING.bottom;
  const y = (seconds: number) =>
    PADDING.top + plotHeight * (1 - seconds / maxValue);
  const slot = plotWidth / measured.length;
  const barWidth = Math.max(2, Math.min(24, slot * 0.7));
  const targetY = y(targetSeconds);
  const colors = {
    deploy: theme.palette.grey[500],
    rollback: theme.palette.success.main,
    over: theme.palette.error.main,
  };

  return (
    <figure style={{ margin: 0 }}>
      <ChartDrawing
        height={HEIGHT}
        label={`Time to serve of the last ${
          measured.length
        } deployments; rollback target ${formatDuration(targetSeconds)}`}
      >
        <line
          x1={PADDING.left}
          x2={PADDING.left}
          y1={PADDING.top}
          y2={PADDING.top + plotHeight}
          stroke={theme.palette.divider}
        />
        <ChartValueAxis
          left={PADDING.left}
          right={WIDTH - PADDING.right}
          top={PADDING.top}
          bottom={PADDING.top + plotHeight}
          most={formatDuration(maxValue)}
        />
        {measured.map((deployment, index) => {
          const value = deployment.timeToServeSeconds!;
          const top = y(value);
          let fill = colors.deploy;
          if (deployment.kind === 'rollback') {
            fill = value > targetSeconds ? colors.over : colors.rollback;
          }
          return (
            <rect
              key={`${deployment.commit}-${index}`}
              data-testid="time-to-serve-bar"
              x={PADDING.left + slot * index + (slot - barWidth) / 2}
              y={top}
              width={barWidth}
              height={PADDING.top + plotHeight - top}
              fill={fill}
            >
              <title>
                {`${deployment.kind} of ${deployment.version}, ${formatAbsolute(
                  deployment.committedAt,
                )}: ${formatDuration(value)}`}
              </title>
            </rect>
          );
        })}
        <line
          data-testid="rollback-target-line"
          x1={PADDING.left}
          x2={WIDTH - PADDING.right}
          y1={targetY}
          y2={targetY}
          stroke={theme.palette.text.primary}
          strokeDasharray="6 4"
        />
        <text
          x={WIDTH - PADDING.right}
          y={targetY - 4}
          textAnchor="end"
          fontSize={11}
          fill={theme.palette.text.primary}
        >
          rollback target {formatDuration(targetSeconds)}
        </text>
      </ChartDrawing>
      <figcaption className={classes.summary}>
        <div className={chart.legend}>
          <ChartLegendItem color={colors.deploy}>
            Deploy or promotion
          </ChartLegendItem>
          <ChartLegendItem color={colors.rollback}>
            Rollback within the target
          </ChartLegendItem>
          <ChartLegendItem color={colors.over}>
            Rollback over the target
          </ChartLegendItem>
        </div>
        <Typography variant="body2">
          {summarizeRollbacks(props.deployments, targetSeconds)}
        </Typography>
      </figcaption>
    </figure>
  );
}
