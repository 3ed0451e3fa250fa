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

import Tooltip from '@material-ui/core/Tooltip';
import { formatAbsolute, formatRelative } from './format';

/** A relative time ("5 minutes ago") with the absolute UTC time on hover. */
export function RelativeTime(props: { value: string; prefix?: string }) {
  const { value, prefix } = props;
  const absolute = formatAbsolute(value);
  return (
    <Tooltip title={absolute}>
      <time dateTime={value}>
        {prefix}
        {formatRelative(value)}
      </time>
    </Tooltip>
  );
}
