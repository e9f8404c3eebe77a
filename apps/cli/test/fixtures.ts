// Pipeline definitions the CLI and UI tests run in the local sandbox.

export const CI_PIPELINE = `pipeline:
  steps:
    - name: compile
      image: node:20
      commands:
        - echo "compiling $COMMIT_SHA"
        - mkdir -p out && echo "report for $COMMIT_BRANCH" > out/report.txt
    - name: test
      image: node:20
      depends_on: [compile]
      commands:
        - echo "tests passed"
  artifacts:
    - { name: report, path: out/ }
`;

export const BROKEN_PIPELINE = `pipeline:
  steps:
    - name: compile
      image: node:20
      commands:
        - echo "about to fail"
        - exit 4
    - name: after
      image: node:20
      depends_on: [compile]
      commands: [echo never]
`;

/** A step that prints a line every 0.2 s for 6 s: long enough to watch and cancel. */
export const SLOW_PIPELINE = `pipeline:
  steps:
    - name: slow
      image: node:20
      commands:
        - 'for i in $(seq 1 30); do echo line $i; sleep 0.2; done'
`;
