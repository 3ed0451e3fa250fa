import '@testing-library/jest-dom';

// Rendering the tab with Material UI takes seconds on a busy 2-core CI
// machine; the default 5 s would fail tests that are only slow.
jest.setTimeout(20_000);
