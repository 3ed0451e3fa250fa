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
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import { Link as RouterLink } from 'react-router-dom';
import { usePermission } from '@backstage/plugin-permission-react';
import type { ResourcePermission } from '@backstage/plugin-permission-common';

/**
 * A button that is disabled, with a tooltip saying why, when the user lacks
 * `permission` on `resourceRef` or when `disabledReason` is given.
 */
export function PermissionedButton(props: {
  children: ReactNode;
  onClick?: () => void;
  startIcon?: ReactNode;
  size?: 'small' | 'medium' | 'large';
  variant?: 'text' | 'outlined' | 'contained';
  color?: 'default' | 'inherit' | 'primary' | 'secondary';
  permission: ResourcePermission<'catalog-entity'>;
  resourceRef: string;
  /** Said when the permission is denied, e.g. "You may not promote fraud-detector". */
  deniedReason: string;
  /** A reason, other than permissions, why the action is not possible now. */
  disabledReason?: string;
  /** Extra text for the tooltip when enabled. */
  hint?: ReactNode;
  busy?: boolean;
  /** Makes the button a link to this in-app path. */
  to?: string;
}) {
  const {
    permission,
    resourceRef,
    deniedReason,
    disabledReason,
    hint,
    busy,
    to,
    ...buttonProps
  } = props;
  const { allowed, loading } = usePermission({ permission, resourceRef });
  let reason: string | undefined;
  if (loading) {
    reason = 'Checking your permissions…';
  } else if (!allowed) {
    reason = deniedReason;
  } else {
    reason = disabledReason;
  }
  const disabled = Boolean(reason) || busy;
  const button =
    to && !disabled ? (
      <Button {...buttonProps} component={RouterLink} to={to} />
    ) : (
      <Button {...buttonProps} disabled={disabled} />
    );
  const title = reason ?? hint;
  if (!title) {
    return button;
  }
  // A disabled button fires no events, so the tooltip wraps a span.
  return (
    <Tooltip title={title}>
      <span>{button}</span>
    </Tooltip>
  );
}
