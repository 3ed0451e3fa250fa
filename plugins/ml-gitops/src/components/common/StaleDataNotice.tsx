import Typography from '@material-ui/core/Typography';
import { errorMessage } from './format';

/** Says that a reload failed while the last good data stays visible. */
export function StaleDataNotice(props: { error?: Error }) {
  const { error } = props;
  if (!error) {
    return null;
  }
  return (
    <Typography variant="body2" color="error" role="status">
      Could not reload: {errorMessage(error)}. Showing the last data received.
    </Typography>
  );
}
