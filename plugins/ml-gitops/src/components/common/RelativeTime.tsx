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
