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

import type {
  CanaryAnalysis,
  DeploymentsResponse,
  DriftItem,
  DriftState,
  EnvironmentStatus,
  ServingStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { DRIFT_SEVERITY, type Freshness, freshnessOf } from '../common';

/** One model (row) of the fleet matrix. */
export type FleetRow = {
  entityRef: string;
  model: string;
  /** By environment name. */
  cells: Map<string, FleetCell>;
  /** The most urgent drift state of the row's cells. */
  worst: DriftState;
};

/** One model × environment of the fleet matrix. */
export type FleetCell = {
  drift: EnvironmentStatus['drift'];
  declared?: string;
  live?: string | null;
  /** Whether the live version really serves, when a serving object says. */
  serving?: ServingStatus;
  /** The environment's canary analysis, when it has one. */
  canary?: CanaryAnalysis;
  /** False when only the drift is known (the /v1/drift fallback). */
  detailed: boolean;
  /** How old the cell's data is, to mark it stale. */
  freshness?: Freshness;
};

/** The fleet as the page shows it: environments in order, rows. */
export type Fleet = {
  environments: string[];
  rows: FleetRow[];
  /** True when built from /v1/drift only (not-in-sync environments). */
  partial: boolean;
};

function worstOf(cells: Iterable<FleetCell>): DriftState {
  let worst: DriftState = 'in-sync';
  for (const cell of cells) {
    if (DRIFT_SEVERITY[cell.drift.state] < DRIFT_SEVERITY[worst]) {
      worst = cell.drift.state;
    }
  }
  return worst;
}

function addEnvironment(order: string[], name: string) {
  if (!order.includes(name)) order.push(name);
}

function sortRows(rows: FleetRow[]): FleetRow[] {
  return rows.sort(
    (a, b) =>
      DRIFT_SEVERITY[a.worst] - DRIFT_SEVERITY[b.worst] ||
      a.model.localeCompare(b.model) ||
      a.entityRef.localeCompare(b.entityRef),
  );
}

/** Builds the matrix from the fleet endpoint, drifted models first. */
export function fleetFromDeployments(models: DeploymentsResponse[]): Fleet {
  const environments: string[] = [];
  const rows = models.map(model => {
    const cells = new Map<string, FleetCell>();
    for (const environment of model.environments) {
      addEnvironment(environments, environment.name);
      cells.set(environment.name, {
        drift: environment.drift,
        declared: environment.declared?.version,
        live: environment.live ? environment.live.version : undefined,
        ...(environment.live?.serving
          ? { serving: environment.live.serving }
          : {}),
        ...(environment.canary ? { canary: environment.canary } : {}),
        detailed: true,
        freshness: freshnessOf(environment, model),
      });
    }
    return {
      entityRef: model.entityRef,
      model: model.model,
      cells,
      worst: worstOf(cells.values()),
    };
  });
  return { environments, rows: sortRows(rows), partial: false };
}

/** Builds the matrix from /v1/drift, when the backend has no /v1/fleet. */
export function fleetFromDrift(items: DriftItem[]): Fleet {
  const environments: string[] = [];
  const byEntity = new Map<string, FleetRow>();
  for (const item of items) {
    addEnvironment(environments, item.environment);
    let row = byEntity.get(item.entityRef);
    if (!row) {
      const name = item.entityRef.split('/').pop() ?? item.entityRef;
      row = {
        entityRef: item.entityRef,
        model: name,
        cells: new Map(),
        worst: 'in-sync',
      };
      byEntity.set(item.entityRef, row);
    }
    row.cells.set(item.environment, { drift: item.drift, detailed: false });
  }
  const rows = Array.from(byEntity.values());
  for (const row of rows) row.worst = worstOf(row.cells.values());
  return { environments, rows: sortRows(rows), partial: true };
}

/** Keeps the rows and columns that match the filters. */
export function filterFleet(
  fleet: Fleet,
  filters: { state?: DriftState; environment?: string },
): Fleet {
  const environments = filters.environment
    ? fleet.environments.filter(e => e === filters.environment)
    : fleet.environments;
  const rows = fleet.rows.filter(row =>
    environments.some(environment => {
      const cell = row.cells.get(environment);
      if (!filters.state) return Boolean(cell) || !filters.environment;
      return cell?.drift.state === filters.state;
    }),
  );
  return { ...fleet, environments, rows };
}

/** How many cells are in each state. */
export function countStates(fleet: Fleet): Record<DriftState, number> {
  const counts: Record<DriftState, number> = {
    drifted: 0,
    unknown: 0,
    missing: 0,
    progressing: 0,
    'in-sync': 0,
  };
  for (const row of fleet.rows) {
    for (const environment of fleet.environments) {
      const cell = row.cells.get(environment);
      if (cell) counts[cell.drift.state] += 1;
    }
  }
  return counts;
}
