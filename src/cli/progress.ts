import type { EvalMetrics, StepMetrics } from '../engine/train/events';
import { EVAL_METRICS, evalPlanOf } from '../tasks/metrics';

const fmt = (x: number, digits = 4) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(2));

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** `step  120/2000 [==>    ]  6%  loss 1.2345  lr 1.00e-3  |g| 0.512  2.3k tok/s  0:45 elapsed, eta 11m02s` */
export function stepLine(m: StepMetrics, total: number, elapsedMs: number): string {
  const done = m.step + 1;
  const width = 20;
  const filled = Math.round((done / Math.max(1, total)) * width);
  const bar = '='.repeat(filled).padEnd(width, ' ');
  const eta = done > 0 ? (elapsedMs / done) * (total - done) : 0;
  const rate = m.tokensPerSec >= 1000 ? `${(m.tokensPerSec / 1000).toFixed(1)}k` : m.tokensPerSec.toFixed(0);
  return [
    `step ${String(done).padStart(String(total).length)}/${total} [${bar}] ${String(Math.floor((100 * done) / Math.max(1, total))).padStart(3)}%`,
    `loss ${fmt(m.loss)}`,
    `lr ${m.lr.toExponential(2)}`,
    `|g| ${fmt(m.gradNorm, 3)}`,
    `${rate} tok/s`,
    `${duration(elapsedMs)} elapsed, eta ${duration(eta)}`,
  ].join('  ');
}

/**
 * An evaluation's lines: `eval @400  val loss 0.1234  exact match 97.3%  token accuracy 99.1%`,
 * the task's metrics as tasks/metrics.ts lists them, then a text run's sample on a line of its
 * own: `sample  "prompt" → "continuation"`.
 */
export function evalLines(m: EvalMetrics, taskName: string): string[] {
  const parts = evalPlanOf(taskName).metrics.flatMap((key) => {
    const v = m[key];
    if (v === undefined) return [];
    const { label, format } = EVAL_METRICS[key];
    return [`${label} ${format === 'percent' ? `${(100 * v).toFixed(1)}%` : fmt(v)}`];
  });
  const line = [`eval @${m.step}  ${m.split} loss ${fmt(m.loss)}`, ...parts].join('  ');
  return m.sample ? [line, `sample  ${JSON.stringify(m.sample.prompt)} → ${JSON.stringify(m.sample.text)}`] : [line];
}
