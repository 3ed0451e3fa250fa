// Tests here run real git, real databases and emulators over HTTP: seconds
// each on a busy 2-core CI machine, so the default 5 s would fail tests
// that are only slow. Tests that wait longer set their own timeout.
jest.setTimeout(30_000);
