import { registryHostProblem, registryOf } from '../index';

describe('registryOf', () => {
  it.each([
    ['busybox', 'docker.io'],
    ['library/node:20', 'docker.io'],
    ['docker.io/library/node:20', 'docker.io'],
    ['ghcr.io/acme/tool:1', 'ghcr.io'],
    ['127.0.0.1:5000/team/app@sha256:' + 'a'.repeat(64), '127.0.0.1:5000'],
    ['localhost/app', 'localhost'],
    ['Registry.Example.com/app', 'registry.example.com'],
  ])('%s is pulled from %s', (image, host) => expect(registryOf(image)).toBe(host));
});

describe('registryHostProblem', () => {
  it.each(['registry.example.com', 'registry.example.com:5000', '127.0.0.1:5000', 'localhost', 'docker.io'])(
    'accepts %s',
    (server) => expect(registryHostProblem(server)).toBeUndefined(),
  );

  it.each([
    'https://registry.example.com',
    'registry.example.com/team',
    'Registry.example.com',
    'registry.example.com:0',
    'registry.example.com:70000',
    'user@registry.example.com',
    '-registry.example.com',
    'registry..example.com',
    '',
  ])('refuses %p with the rule', (server) =>
    expect(registryHostProblem(server)).toMatch(/is not a registry host; write host\[:port\] in lowercase/),
  );
});
