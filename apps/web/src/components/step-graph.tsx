import { Step } from '@kiln/api-wire';
import { layoutDag } from '../dag-layout';
import { elapsed, formatDuration } from '../format';

const NODE_W = 184;
const NODE_H = 58;
const GAP_X = 56;
const GAP_Y = 18;

/**
 * The run's steps as a left-to-right graph: a column per depth, edges from each dependency,
 * each node a button (keyboard and screen readers included) coloured by status.
 */
export function StepGraph({
  steps,
  selected,
  now,
  onSelect,
}: {
  steps: Step[];
  selected: string | null;
  now: number;
  onSelect: (stepId: string) => void;
}) {
  const layout = layoutDag(steps);
  const width = layout.layers * NODE_W + Math.max(0, layout.layers - 1) * GAP_X;
  const height = layout.rows * NODE_H + Math.max(0, layout.rows - 1) * GAP_Y;
  const place = new Map(
    layout.nodes.map((n) => [n.step.name, { x: n.layer * (NODE_W + GAP_X), y: n.row * (NODE_H + GAP_Y) }]),
  );

  return (
    <div class="graph-scroll">
      <div class="graph" style={{ width: `${width}px`, height: `${height}px` }}>
        <svg width={width} height={height} aria-hidden="true" class="edges">
          {layout.edges.map((edge) => {
            const a = place.get(edge.from);
            const b = place.get(edge.to);
            if (!a || !b) return null;
            const x1 = a.x + NODE_W;
            const y1 = a.y + NODE_H / 2;
            const x2 = b.x;
            const y2 = b.y + NODE_H / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${edge.from}>${edge.to}`}
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              />
            );
          })}
        </svg>
        <ul class="nodes" aria-label="Steps">
          {layout.nodes.map(({ step }) => {
            const at = place.get(step.name) ?? { x: 0, y: 0 };
            const duration = step.duration_ms ?? elapsed(step.started_at, step.finished_at, now);
            const needs = step.depends_on.length ? `, after ${step.depends_on.join(', ')}` : '';
            return (
              <li
                key={step.id}
                style={{ left: `${at.x}px`, top: `${at.y}px`, width: `${NODE_W}px`, height: `${NODE_H}px` }}
              >
                <button
                  type="button"
                  class={`node status-${step.status}`}
                  aria-pressed={selected === step.id}
                  aria-label={`${step.name}: ${step.status}${duration === null ? '' : `, ${formatDuration(duration)}`}${step.error ? ` (${step.error})` : ''}${needs}. Show its log.`}
                  title={step.error ?? undefined}
                  data-step={step.name}
                  onClick={() => onSelect(step.id)}
                >
                  <span class="node-name">{step.name}</span>
                  <span class="node-meta">
                    {/* The reason (timed out, out of memory, cancelled) says more than the status word. */}
                    {step.error ?? step.status}
                    {!step.error && step.exit_code !== null && step.exit_code !== 0
                      ? ` · exit ${step.exit_code}`
                      : ''}
                    {duration !== null ? ` · ${formatDuration(duration)}` : ''}
                    {step.reused_from ? ' · reused' : ''}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
