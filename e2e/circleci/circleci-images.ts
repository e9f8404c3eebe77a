import { busyboxTestImage } from '@kiln/testing';
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';

/**
 * Stand-ins for the tools the imported configs call (yarn, bundle, go, curl...): steps have no
 * network and the images are busybox, so each tool does the least that lets the test see it ran
 * in the right place with the right inputs.
 */
const TOOLS: Record<string, string> = {
  yarn: `#!/bin/sh
set -e
case "$1" in
  install) test -f package.json; if [ -f node_modules/.installed ]; then echo "yarn install: node_modules already there"; fi
    mkdir -p node_modules; echo "$(pwd)" > node_modules/.installed; echo "yarn install: done" ;;
  build|lint|check-formatting|test) test -f node_modules/.installed; echo "yarn $1: ok" ;;
  *) echo "yarn: unknown command $1" >&2; exit 1 ;;
esac
`,
  bundle: `#!/bin/sh
set -e
case "$*" in
  install) echo "bundle install: done" ;;
  "exec rake spec") echo "rake spec: 0 failures (COVERAGE=$COVERAGE TEST_QUEUE_WORKERS=$TEST_QUEUE_WORKERS)" ;;
  *) echo "bundle: unknown command $*" >&2; exit 1 ;;
esac
`,
  // The one download the configs make: Code Climate's reporter, as a script.
  curl: `#!/bin/sh
cat <<'REPORTER'
#!/bin/sh
set -e
case "$1" in
  before-build) echo "reporter: before-build" ;;
  format-coverage) echo "coverage of $(pwd)" > "$3"; echo "reporter: wrote $3" ;;
  sum-coverage) shift; out=""; parts=0
    while [ $# -gt 0 ]; do case "$1" in --output) out="$2"; shift 2 ;; --parts) shift 2 ;; *) test -f "$1"; parts=$((parts + 1)); shift ;; esac; done
    echo "summed $parts" > "$out"; echo "reporter: summed $parts file(s) into $out" ;;
  upload-coverage) test -f "$3"; echo "reporter: uploaded $3" ;;
esac
REPORTER
`,
  go: `#!/bin/sh
set -e
case "$1" in
  get|vet) echo "go $1: ok" ;;
  list) echo "github.com/DataDog/opencensus-go-exporter-datadog" ;;
  test)
    # The agent is the job's secondary image: a service on 127.0.0.1.
    for i in $(seq 1 50); do
      if nc -w 1 127.0.0.1 8126 </dev/null; then echo "go test: agent reachable on 127.0.0.1:8126 (INTEGRATION=$INTEGRATION)"; exit 0; fi
      sleep 0.2
    done
    echo "go test: no agent on 127.0.0.1:8126" >&2; exit 1 ;;
  *) echo "go: unknown command $1" >&2; exit 1 ;;
esac
`,
  golint: `#!/bin/sh
echo "golint: $# package(s) clean"
`,
};

/** Every image name the configs under test use, and what the service images run. */
const STEP_IMAGES = [
  'circleci/node:10.15',
  'circleci/node:12.7',
  'cimg/ruby:2.7',
  'cimg/ruby:3.0',
  'cimg/ruby:3.1',
  'cimg/ruby:3.2',
  'cimg/ruby:3.3',
  'rubocophq/circleci-ruby-snapshot:latest',
  'circleci/golang:1.14',
];
const SERVICE_IMAGES: Record<string, string> = {
  // Datadog's agent takes traces on 8126; here a listener that answers and closes.
  'datadog/docker-dd-agent:latest': 'nc -ll -p 8126 -e true',
};

/**
 * Imports the busybox tools image and tags it under each name the configs use, so the executor
 * finds every image locally and pulls nothing. Tools are made executable in a container of the
 * image (no network) and committed, since imported files carry no mode.
 */
export async function circleCiTestImages(docker: Docker): Promise<void> {
  const files = Object.fromEntries(
    Object.entries(TOOLS).map(([name, text]) => [`usr/local/bin/${name}`, text]),
  );
  const digest = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 12);
  const base = await busyboxTestImage(docker, `kiln-e2e/circleci-tools:${digest}`, { files });
  const chmod = `chmod 755 ${Object.keys(TOOLS)
    .map((name) => `/usr/local/bin/${name}`)
    .join(' ')}`;
  for (const name of STEP_IMAGES) await commit(docker, base, chmod, name);
  for (const [name, command] of Object.entries(SERVICE_IMAGES))
    await commit(docker, base, chmod, name, ['/bin/sh', '-c', command]);
}

async function commit(
  docker: Docker,
  base: string,
  script: string,
  name: string,
  cmd?: string[],
): Promise<void> {
  const container = await docker.createContainer({
    Image: base,
    Cmd: ['/bin/sh', '-c', script],
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`preparing ${name}: "${script}" exited ${StatusCode}`);
    const colon = name.lastIndexOf(':');
    await container.commit({
      repo: name.slice(0, colon),
      tag: name.slice(colon + 1),
      ...(cmd && { changes: `CMD ${JSON.stringify(cmd)}` }),
    });
  } finally {
    await container.remove({ force: true });
  }
}
