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
import Typography from '@material-ui/core/Typography';
import { makeStyles, useTheme } from '@material-ui/core/styles';

// What the tab's two SVG charts (delivery metrics, time to serve) share: the
// drawing, its width and how it scales, the value axis' baseline and labels,
// and the legend of colour swatches.

/** The width of a chart's drawing, in SVG units. */
export const CHART_WIDTH = 640;

/** The classes of a chart's drawing and legend. */
export const useChartStyles = makeStyles(theme => ({
  svg: {
    width: '100%',
    maxWidth: CHART_WIDTH * 1.5,
    height: 'auto',
    display: 'block',
  },
  legend: {
    display: 'flex',
    gap: theme.spacing(2),
    flexWrap: 'wrap',
  },
  swatch: {
    display: 'inline-block',
    width: 10,
    height: 10,
    marginRight: theme.spacing(0.5),
    verticalAlign: 'middle',
  },
}));

/**
 * A chart's drawing: {@link CHART_WIDTH} by `height` SVG units, scaled to
 * the card, and one image named `label` to assistive technology.
 */
export function ChartDrawing(props: {
  height: number;
  label: string;
  children: ReactNode;
}) {
  const classes = useChartStyles();
  return (
    <svg
      className={classes.svg}
      viewBox={`0 0 ${CHART_WIDTH} ${props.height}`}
      role="img"
      aria-label={props.label}
    >
      {props.children}
    </svg>
  );
}

/** One entry of a chart's legend: a swatch of the colour, and what it marks. */
export function ChartLegendItem(props: { color: string; children: ReactNode }) {
  const classes = useChartStyles();
  return (
    <Typography variant="caption">
      <span className={classes.swatch} style={{ background: props.color }} />
      {props.children}
    </Typography>
  );
}

/**
 * The baseline of a chart's plot, from `left` to `right` at `bottom`, and
 * the labels of its value axis: `most` at `top`, 0 at the baseline.
 */
export function ChartValueAxis(props: {
  left: number;
  right: number;
  top: number;
  bottom: number;
  most: ReactNode;
}) {
  const theme = useTheme();
  const { left, right, top, bottom } = props;
  const label = (y: number, text: ReactNode) => (
    <text
      x={left - 6}
      y={y}
      textAnchor="end"
      fontSize={11}
      fill={theme.palette.text.secondary}
    >
      {text}
    </text>
  );
  return (
    <>
      <line
        x1={left}
        x2={right}
        y1={bottom}
        y2={bottom}
        stroke={theme.palette.divider}
      />
      {label(top + 4, props.most)}
      {label(bottom, 0)}
    </>
  );
}
