// AsyncLocalStorage (node:async_hooks) turns on promise hooks for the whole
// backend process on Node 22: every promise of every plugin then costs
// about three times as much. Pass what work needs along with it instead.
module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  restrictedSrcImports: [
    {
      name: 'node:async_hooks',
      message:
        'AsyncLocalStorage turns on promise hooks for the whole backend on Node 22; pass the context explicitly',
    },
    {
      name: 'async_hooks',
      message:
        'AsyncLocalStorage turns on promise hooks for the whole backend on Node 22; pass the context explicitly',
    },
  ],
});
