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

import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  StatusError,
  StatusOK,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import type {
  Deployment,
  DeploymentKind,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  PullRequestLink,
  RelativeTime,
  formatDuration,
  shortSha,
} from '../common';

const KIND_LABEL: Record<DeploymentKind, string> = {
  deploy: 'Deploy',
  promotion: 'Promotion',
  rollback: 'Rollback',
};

/** Rows shown per table page; 500 entries stay smooth. */
export const HISTORY_TABLE_PAGE_SIZE = 20;

function columns(targetSeconds: number): TableColumn<Deployment>[] {
  return [
    {
      title: 'When',
      field: 'committedAt',
      render: row => <RelativeTime value={row.committedAt} />,
    },
    {
      title: 'Kind',
      field: 'kind',
      render: row => (
        <>
          {KIND_LABEL[row.kind] ?? row.kind}
          {row.reason && (
            <Typography variant="caption" color="textSecondary" component="div">
              Reason: {row.reason}
            </Typography>
          )}
        </>
      ),
    },
    {
      title: 'Version',
      field: 'version',
      render: row =>
        row.previousVersion
          ? `${row.previousVersion} → ${row.version}`
          : row.version,
    },
    { title: 'Author', field: 'author' },
    {
      title: 'Reviewed by',
      render: row => {
        const reviewers = row.pullRequest?.reviewers ?? [];
        return reviewers.length > 0 ? reviewers.join(', ') : '—';
      },
    },
    {
      title: 'Pull request',
      render: row =>
        row.pullRequest ? (
          <>
            <PullRequestLink pullRequest={row.pullRequest} />
            {row.pullRequest.mergedBy && (
              <Typography
                variant="caption"
                color="textSecondary"
                component="div"
              >
                merged by {row.pullRequest.mergedBy}
              </Typography>
            )}
          </>
        ) : (
          <Typography variant="caption" color="textSecondary">
            direct commit {shortSha(row.commit)}
          </Typography>
        ),
    },
    {
      title: 'Time to serve',
      field: 'timeToServeSeconds',
      render: row => {
        if (row.timeToServeSeconds === undefined) {
          return (
            <Typography variant="caption" color="textSecondary">
              not serving yet
            </Typography>
          );
        }
        const text = formatDuration(row.timeToServeSeconds);
        if (row.kind !== 'rollback') {
          return text;
        }
        return row.timeToServeSeconds > targetSeconds ? (
          <StatusError>{text}</StatusError>
        ) : (
          <StatusOK>{text}</StatusOK>
        );
      },
    },
  ];
}

/** The deployments of one environment, newest first, paged. */
export function DeploymentHistory(props: {
  environment: string;
  items: Deployment[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  targetSeconds: number;
  /** The backend is still reading older history of this environment. */
  readingOlder?: boolean;
}) {
  const {
    environment,
    items,
    hasMore,
    loadingMore,
    onLoadMore,
    targetSeconds,
    readingOlder,
  } = props;
  return (
    <>
      {readingOlder && (
        <Box mb={1}>
          <Typography variant="body2" color="textSecondary" role="status">
            Older deployments of {environment} are still being read from the
            config repo; they appear here as the backend reaches them.
          </Typography>
        </Box>
      )}
      <Table<Deployment>
        title={`Deployment history of ${environment}`}
        columns={columns(targetSeconds)}
        data={items}
        options={{
          paging: items.length > HISTORY_TABLE_PAGE_SIZE,
          pageSize: HISTORY_TABLE_PAGE_SIZE,
          pageSizeOptions: [HISTORY_TABLE_PAGE_SIZE, 50, 100],
          search: false,
          padding: 'dense',
          sorting: false,
          draggable: false,
        }}
        emptyContent={
          <Box p={2}>
            <Typography variant="body2" color="textSecondary">
              No deployment of {environment} is recorded yet.
            </Typography>
          </Box>
        }
      />
      {hasMore && (
        <Box mt={1} display="flex" justifyContent="center">
          <Button onClick={onLoadMore} disabled={loadingMore} size="small">
            {loadingMore
              ? 'Loading older deployments…'
              : 'Load older deployments'}
          </Button>
        </Box>
      )}
    </>
  );
}
