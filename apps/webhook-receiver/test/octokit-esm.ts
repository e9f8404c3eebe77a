import { realpathSync } from 'node:fs';
import { join } from 'node:path';

// Jest resolves packages with the `require` condition, and @octokit/webhooks-methods (used by
// @octokit/webhooks) only exports an `import` entry; Node itself loads it through require(esm).
// Jest is pointed at the real file, which the root config compiles to CommonJS. Import this
// module before anything that loads @octokit/webhooks.
const mockMethodsEntry = join(
  realpathSync(join(__dirname, '../../../node_modules/@octokit/webhooks')),
  '../webhooks-methods/dist-node/index.js',
);
jest.mock('@octokit/webhooks-methods', () => jest.requireActual(mockMethodsEntry), { virtual: true });
