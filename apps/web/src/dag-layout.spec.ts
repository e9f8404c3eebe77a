import { layoutDag } from './dag-layout';

const step = (name: string, depends_on: string[] = []) => ({ name, depends_on });

describe('step graph layout', () => {
  it('puts each step one column after its latest dependency', () => {
    const layout = layoutDag([
      step('lint'),
      step('test'),
      step('build', ['lint', 'test']),
      step('deploy', ['build', 'test']),
    ]);
    const column = Object.fromEntries(layout.nodes.map((n) => [n.step.name, n.layer]));
    expect(column).toEqual({ lint: 0, test: 0, build: 1, deploy: 2 });
    expect(layout).toMatchObject({ layers: 3, rows: 2 });
    expect(layout.edges).toEqual([
      { from: 'lint', to: 'build' },
      { from: 'test', to: 'build' },
      { from: 'build', to: 'deploy' },
      { from: 'test', to: 'deploy' },
    ]);
  });

  it('orders a column by its dependencies so edges cross less', () => {
    const layout = layoutDag([step('a'), step('b'), step('after-b', ['b']), step('after-a', ['a'])]);
    const rows = Object.fromEntries(layout.nodes.map((n) => [n.step.name, n.row]));
    expect(rows['after-a']).toBe(0);
    expect(rows['after-b']).toBe(1);
  });

  it('survives unknown dependencies and cycles instead of looping', () => {
    const layout = layoutDag([step('a', ['ghost', 'b']), step('b', ['a'])]);
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges).toHaveLength(2);
  });
});
