import { pullRequestLabel } from './format';

describe('pullRequestLabel', () => {
  it.each([
    ['https://github.com/acme/app/pull/7', '#7'],
    ['https://gitlab.example.com/group/app/-/merge_requests/12', '!12'],
    ['http://example.com/diaspora/merge_requests/1', '!1'],
    ['https://git.example.com/acme/app/reviews/3', 'https://git.example.com/acme/app/reviews/3'],
  ])('labels %s as %s', (url, label) => {
    expect(pullRequestLabel(url)).toBe(label);
  });
});
