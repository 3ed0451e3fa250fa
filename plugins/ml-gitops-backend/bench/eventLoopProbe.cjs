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

/*
 * The page benchmark's probe inside the backend process: preloaded with
 * `node --require` (production build) or `backstage-cli package start
 * --require` (dev mode), so the backend's own code is not changed.
 *
 * It measures the event-loop delay (perf_hooks.monitorEventLoopDelay) and
 * the garbage collector's pauses (PerformanceObserver, entry type "gc") and
 * answers over HTTP on the Unix socket named by ML_GITOPS_BENCH_PROBE:
 *
 *   GET  /        → { pid, eventLoop: { p50Ms, p99Ms, maxMs, meanMs },
 *                     gc: { count, maxMs, totalMs, over100Ms }, rssBytes,
 *                     memoryMaxBytes: { heapUsed, heapTotal, external,
 *                     arrayBuffers } (the most of each since the reset),
 *                   stalls (over 50 ms), tasks: { over5, over10, over20,
 *                     over5Ms }, taskWindows (while profiling) }
 *   POST /reset   → clears both (the start of a measurement window)
 *   POST /collect → { heapUsedBytes, rssBytes } after two full collections
 *                   (the inspector's HeapProfiler.collectGarbage) and a
 *                   second for V8 to sweep and give pages back: what the
 *                   process keeps, wherever the collector was before
 *   POST /kept/start → samples allocations (the sampling heap profiler,
 *                   one sample per 32 KiB) and keeps the samples of objects
 *                   that outlived a young-generation collection: what the
 *                   process promotes to the old generation
 *   POST /kept/stop  → that sampling profile (the inspector's
 *                   SamplingHeapProfile JSON), and sampling stops
 *
 * Without ML_GITOPS_BENCH_PROBE it does nothing. Plain JavaScript, so the
 * production backend does not need the TypeScript transform to load it.
 */

'use strict';

const socketPath = process.env.ML_GITOPS_BENCH_PROBE;

if (socketPath) {
  const http = require('node:http');
  const {
    monitorEventLoopDelay,
    PerformanceObserver,
  } = require('node:perf_hooks');

  // 10 ms is Node's default sampling resolution; a stall shows whole.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const gc = { count: 0, maxMs: 0, totalMs: 0, over100Ms: 0 };
  const observer = new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if (entry.duration > 100) gc.over100Ms++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  const ms = nanoseconds => nanoseconds / 1e6;

  // The most of each part of the process's memory since the last reset,
  // sampled every 500 ms: whether RSS is the V8 heap in use, the heap V8
  // keeps after collecting, or memory outside it (buffers, native).
  const memoryParts = ['heapUsed', 'heapTotal', 'external', 'arrayBuffers'];
  const memory = {};
  const sampleMemory = () => {
    const now = process.memoryUsage();
    for (const part of memoryParts) {
      memory[part] = Math.max(memory[part] ?? 0, now[part]);
    }
  };
  setInterval(sampleMemory, 500).unref();

  // Tasks that held the event loop over 5 ms (see longTaskTimer.cjs): their
  // count, where each stall over 50 ms was, and, with a profile under way,
  // where every one was, for a script over the profile to look up.
  const {
    watchLongTasks,
    newTally,
    countTask,
  } = require('./longTaskTimer.cjs');
  const stalls = [];
  const tasks = newTally();
  const taskWindows = [];
  const placeTasks = Boolean(process.env.ML_GITOPS_BENCH_CPU_PROFILE);
  watchLongTasks((lateMs, place) => {
    countTask(tasks, lateMs);
    if (lateMs > 50 && stalls.length < 100) stalls.push(place);
    if (placeTasks && taskWindows.length < 20000) taskWindows.push(place);
  });

  // With ML_GITOPS_BENCH_CPU_PROFILE naming a file, the V8 profiler samples
  // this process from here on (every 1 ms) and `POST /cpu-profile` writes
  // the profile there. Through the inspector rather than `node --cpu-prof`,
  // which writes only on a clean exit.
  const profileFile = process.env.ML_GITOPS_BENCH_CPU_PROFILE;
  let profiler;
  if (profileFile) {
    const inspector = require('node:inspector');
    profiler = new inspector.Session();
    profiler.connect();
    profiler.post('Profiler.enable');
    profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
    profiler.post('Profiler.start');
  }
  // The session sampling what outlives a young-generation collection
  // (POST /kept/start), if any.
  let keptSession;
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method === 'POST' && req.url === '/reset') {
      histogram.reset();
      stalls.length = 0;
      taskWindows.length = 0;
      Object.assign(tasks, newTally());
      for (const part of memoryParts) delete memory[part];
      sampleMemory();
      Object.assign(gc, { count: 0, maxMs: 0, totalMs: 0, over100Ms: 0 });
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/collect') {
      const inspector = require('node:inspector');
      const session = new inspector.Session();
      session.connect();
      const collect = then =>
        session.post('HeapProfiler.collectGarbage', error => {
          if (error) {
            session.disconnect();
            res.writeHead(500).end(String(error));
            return;
          }
          // Not from within the inspector's callback: a post there never
          // answers.
          setImmediate(then);
        });
      collect(() =>
        collect(() => {
          session.disconnect();
          setTimeout(() => {
            const body = {
              heapUsedBytes: process.memoryUsage().heapUsed,
              rssBytes: process.memoryUsage.rss(),
            };
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
          }, 1000);
        }),
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/kept/start') {
      const inspector = require('node:inspector');
      if (keptSession) keptSession.disconnect();
      keptSession = new inspector.Session();
      keptSession.connect();
      keptSession.post('HeapProfiler.enable');
      keptSession.post(
        'HeapProfiler.startSampling',
        {
          samplingInterval: 32 * 1024,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: false,
        },
        error => {
          if (error) res.writeHead(500).end(String(error));
          else res.writeHead(204).end();
        },
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/kept/stop' && keptSession) {
      const session = keptSession;
      keptSession = undefined;
      session.post('HeapProfiler.stopSampling', (error, result) => {
        session.disconnect();
        if (error) {
          res.writeHead(500).end(String(error));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result.profile));
      });
      return;
    }
    if (req.method === 'POST' && req.url === '/cpu-profile' && profiler) {
      profiler.post('Profiler.stop', (error, result) => {
        if (error) {
          res.writeHead(500).end(String(error));
          return;
        }
        require('node:fs').writeFileSync(
          profileFile,
          JSON.stringify(result.profile),
        );
        profiler.post('Profiler.start');
        res.writeHead(204).end();
      });
      return;
    }
    if (req.method === 'GET' && req.url === '/') {
      const body = {
        pid: process.pid,
        eventLoop: {
          p50Ms: ms(histogram.percentile(50)),
          p99Ms: ms(histogram.percentile(99)),
          maxMs: ms(histogram.max),
          meanMs: ms(histogram.mean),
        },
        gc: { ...gc },
        rssBytes: process.memoryUsage.rss(),
        memoryMaxBytes: (sampleMemory(), { ...memory }),
        stalls,
        tasks: { ...tasks },
        taskWindows,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404).end();
  });
  // Never keeps the backend alive, nor stops it from starting.
  server.unref();
  server.on('error', error => {
    process.stderr.write(`[bench probe] ${error.message}\n`);
  });
  server.listen(socketPath);
}
