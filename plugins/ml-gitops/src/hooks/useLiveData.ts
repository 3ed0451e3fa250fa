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

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import useInterval from 'react-use/esm/useInterval';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  ML_GITOPS_SIGNAL_CHANNEL,
  statusSignalKey,
  type MlGitopsStatusSignal,
} from '@ml-gitops/plugin-ml-gitops-common';

/** How often to poll when the signals API is not installed. */
export const POLL_INTERVAL_MS = 30_000;

/** The state of data that refreshes while the page is open. */
export type LiveData<T> = {
  /** The newest value; kept while reloading and after a failed reload. */
  value?: T;
  /** The error of the last load, if it failed. */
  error?: Error;
  /** True while the first load, or a reload, runs. */
  loading: boolean;
  /** Load again, keeping the current value on screen. */
  reload: () => void;
};

/**
 * Loads data and keeps it fresh while mounted: reloads when the backend
 * signals a status change (for `entityRef`, or any when it is undefined), or
 * every {@link POLL_INTERVAL_MS} when signals are not available. Old data
 * stays visible while reloading, so the page does not flicker.
 *
 * `load` must be stable for the same inputs (wrap it in useCallback); it runs
 * again whenever it changes.
 */
export function useLiveData<T>(
  load: () => Promise<T>,
  options: {
    entityRef?: string;
    live?: boolean;
    /**
     * The identity of what is loaded: when it changes the old value is
     * dropped. Defaults to `load` itself; pass a key to keep the value while
     * `load` changes for the same thing (e.g. to fetch more pages).
     */
    resetKey?: unknown;
  } = {},
): LiveData<T> {
  const { entityRef, live = true } = options;
  const resetKey = 'resetKey' in options ? options.resetKey : load;
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(() => {
    const current = ++generation.current;
    setLoading(true);
    load().then(
      value => {
        if (mounted.current && current === generation.current) {
          setState({ value });
          setLoading(false);
        }
      },
      error => {
        if (mounted.current && current === generation.current) {
          setState(previous => ({ value: previous.value, error }));
          setLoading(false);
        }
      },
    );
  }, [load]);

  useEffect(() => {
    setState({});
  }, [resetKey]);

  useEffect(() => {
    run();
  }, [run]);

  const { lastSignal, isSignalsAvailable } = useSignal<MlGitopsStatusSignal>(
    ML_GITOPS_SIGNAL_CHANNEL,
  );
  const lastSeenSignal = useRef(lastSignal);
  // Signals name no entity, only its key.
  const signalKey = useMemo(
    () => (entityRef ? statusSignalKey(entityRef) : undefined),
    [entityRef],
  );
  useEffect(() => {
    if (!live || !lastSignal || lastSignal === lastSeenSignal.current) {
      return;
    }
    lastSeenSignal.current = lastSignal;
    if (
      !signalKey ||
      lastSignal.keys?.includes(signalKey) ||
      lastSignal.key === signalKey
    ) {
      run();
    }
  }, [lastSignal, signalKey, live, run]);

  useInterval(run, live && !isSignalsAvailable ? POLL_INTERVAL_MS : null);

  return { ...state, loading, reload: run };
}
