import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseDefinition } from '../index';
import { CorpusOutcome, outcomeOf } from './circleci-corpus.spec-helper';

const CORPUS = join(__dirname, 'corpus');
const files = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.yml'))
  .sort();

const parse = (file: string) =>
  parseDefinition(readFileSync(join(CORPUS, file), 'utf8'), { filename: '.circleci/config.yml' });

/**
 * What each real config becomes today (sources and commits in corpus/INDEX.md). "mappable" files
 * are refused for a feature Kiln could offer; docs/definition.md lists why, file by file.
 */
const EXPECTED: Record<string, CorpusOutcome> = {
  'DataDog__ddsketch-ruby.yml': 'no-equivalent',
  'DataDog__dogstatsd-ruby.yml': 'valid',
  'DataDog__glommio.yml': 'no-equivalent',
  'DataDog__java-dogstatsd-client.yml': 'no-equivalent',
  'DataDog__jmxfetch.yml': 'no-equivalent',
  'DataDog__kafka-serde.yml': 'valid',
  'DataDog__logstash-output-datadog_logs.yml': 'no-equivalent',
  'DataDog__nikos.yml': 'no-equivalent',
  'DataDog__opencensus-go-exporter-datadog.yml': 'valid',
  'DataDog__php-datadogstatsd.yml': 'valid',
  'DataDog__pprof-nodejs.yml': 'valid',
  'DataDog__serverless-plugin-datadog.yml': 'valid',
  'DataDog__zstd.yml': 'valid',
  'DataSQRL__sqrl.yml': 'no-equivalent',
  'DaveLiddament__sarb.yml': 'valid',
  'apollographql__apollo-client.yml': 'valid',
  'gruntwork-io__terratest.yml': 'no-equivalent',
  'hashicorp__go-getter.yml': 'no-equivalent',
  'influxdata__telegraf.yml': 'no-equivalent',
  'jestjs__jest.yml': 'no-equivalent',
  'nilearn__nilearn.yml': 'no-equivalent',
  'nipy__nipype.yml': 'no-equivalent',
  'pantheon-systems__example-drops-8-composer.yml': 'valid',
  'pantheon-systems__terminus.yml': 'valid',
  'prometheus__prometheus.yml': 'valid',
  'rubocop__rubocop.yml': 'valid',
  'scikit-image__scikit-image.yml': 'no-equivalent',
  'segmentio__kafka-go.yml': 'valid',
  'sfackler__rust-openssl.yml': 'valid',
  'sfackler__rust-postgres.yml': 'valid',
  'solidusio__solidus.yml': 'no-equivalent',
  'sphinx-gallery__sphinx-gallery.yml': 'no-equivalent',
  'square__okhttp.yml': 'no-equivalent',
  'vuejs__vue.yml': 'valid',
  'yarnpkg__yarn.yml': 'no-equivalent',
};

describe('the CircleCI corpus', () => {
  it('holds at least 30 real configs, each with an expected outcome', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  it.each(files)('%s maps as recorded, every error with a position', (file) => {
    const result = parse(file);
    expect(outcomeOf(result)).toBe(EXPECTED[file]);
    if (result.ok) expect(result.definition.steps.length).toBeGreaterThan(0);
    else for (const error of result.errors) expect(error.line).toBeGreaterThan(0);
  });

  it('reports the split', () => {
    const split: Record<CorpusOutcome, number> = { valid: 0, 'no-equivalent': 0, mappable: 0 };
    for (const file of files) split[outcomeOf(parse(file))]++;
    process.stdout.write(`CircleCI corpus: ${JSON.stringify(split)} of ${files.length}\n`);
    expect(split.valid + split['no-equivalent'] + split.mappable).toBe(files.length);
  });
});
