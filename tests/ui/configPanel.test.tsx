// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/engine/runConfig';
import { TINY_CONFIG } from '../../src/ui/config/presets';
import { READY, renderLab } from './fakeLab';

beforeAll(() => {
  // The plots follow their cards' size; jsdom has no ResizeObserver.
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as unknown as typeof ResizeObserver;
});
afterEach(cleanup);

const form = () => within(screen.getByRole('form', { name: 'Run configuration' }));
const field = (name: string) => form().getByLabelText(name, { exact: true }) as HTMLInputElement;
/** The engine's messages shown under a field (its aria-describedby error block). */
const errorsOf = (input: HTMLElement) => {
  const id = input.getAttribute('aria-describedby')?.split(' ').find((x) => x.endsWith('-error'));
  return id ? document.getElementById(id)?.textContent ?? '' : '';
};
/** The run bar's main button: Start, then Pause, then Resume. It is never `disabled` (focus stays on it), only aria-disabled. */
const main = () => screen.getByTestId('main-action') as HTMLButtonElement;
const blocked = () => main().getAttribute('aria-disabled') === 'true';

async function retype(name: string, text: string) {
  const input = field(name);
  await userEvent.clear(input);
  if (text) await userEvent.type(input, text);
  return input;
}

describe('config panel', () => {
  it('starts valid, and Start waits for the backend', () => {
    const lab = renderLab(TINY_CONFIG);
    expect(screen.getByText('valid')).toBeTruthy();
    expect(main().textContent).toBe('Start');
    expect(blocked()).toBe(true);
    act(() => lab.emit(READY));
    expect(blocked()).toBe(false);
  });

  it("shows the engine's message under the field as you type, and disables Start while invalid", async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    const lr = await retype('Learning rate', '-1');
    expect(lr.getAttribute('aria-invalid')).toBe('true');
    expect(errorsOf(lr)).toBe('must be ≥ 0 (got -1)');
    expect(blocked()).toBe(true);
    expect(main().title).toBe('fix the configuration first');
    await retype('Learning rate', '0.02');
    expect(lr.hasAttribute('aria-invalid')).toBe(false);
    expect(errorsOf(lr)).toBe('');
    expect(blocked()).toBe(false);
  });

  it('offers the read-back window with the bounds and default the engine declares, and sends it', async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    const every = field('Read back every (steps)');
    expect(every.placeholder).toBe('8');
    expect(document.getElementById(every.getAttribute('aria-describedby')!)!.textContent).toMatch(/from 1 to 1000$/);
    await retype('Read back every (steps)', '1001');
    expect(errorsOf(every)).toMatch(/1000/);
    await retype('Read back every (steps)', '4');
    expect(errorsOf(every)).toBe('');
    await userEvent.click(main());
    expect(lab.sent.find((c) => c.type === 'start')).toMatchObject({ config: { train: { readbackEvery: 4 } } });
  });

  it('passes text that is not a number to the engine, which names it', async () => {
    renderLab(TINY_CONFIG);
    const batch = await retype('Batch size', 'abc');
    expect(errorsOf(batch)).toBe('must be number (got "abc")');
    const steps = await retype('Steps', '2.5');
    expect(errorsOf(steps)).toMatch(/integer/);
  });

  it('files cross-field messages under the field the engine names', async () => {
    renderLab(TINY_CONFIG);
    await retype('Model width (dModel)', '15');
    expect(errorsOf(field('Model width (dModel)'))).toContain('dModel 15 must be even');
    await retype('Model width (dModel)', '18');
    await retype('Attention heads', '4');
    expect(errorsOf(field('Model width (dModel)'))).toBe('dModel 18 is not divisible by nHeads 4');
    await retype('Gradient accumulation (micro-batches)', '3');
    expect(errorsOf(field('Gradient accumulation (micro-batches)'))).toBe('batchSize 16 is not divisible by gradAccumSteps 3');
  });

  it("draws the task's knobs and checks the model against the task", async () => {
    renderLab(TINY_CONFIG);
    await userEvent.selectOptions(field('Task'), 'addition');
    expect(form().queryByLabelText('Longest input')).toBeNull();
    expect(field('Most digits')).toBeTruthy();
    expect(errorsOf(field('Max sequence length'))).toBe('');
    await retype('Most digits', '5');
    expect(errorsOf(field('Max sequence length'))).toBe('maxLen 8 is shorter than the longest sequence the addition task makes for the encoder-decoder layout (12)');
    await retype('Most digits', '99');
    expect(errorsOf(field('Most digits'))).toMatch(/^must be ≤ \d+ \(got 99\)$/);
  });

  it("draws each optimizer's and schedule's own fields with the engine's defaults", async () => {
    renderLab(TINY_CONFIG);
    expect(field('Betas (β1, β2)').placeholder).toBe('0.9, 0.999');
    await userEvent.selectOptions(field('Optimizer'), 'adamw');
    expect(field('Weight decay').placeholder).toBe('0.01');
    await userEvent.selectOptions(field('Optimizer'), 'sgd');
    expect(form().queryByLabelText('Betas (β1, β2)')).toBeNull();
    await userEvent.click(field('Nesterov momentum'));
    expect(errorsOf(field('Nesterov momentum'))).toMatch(/^Nesterov momentum requires a momentum/);
    await retype('Momentum', '0.9');
    expect(errorsOf(field('Nesterov momentum'))).toBe('');
    await userEvent.selectOptions(field('Schedule'), 'step');
    expect(errorsOf(field('Step size'))).toBe('is required (number)');
  });

  it('sends the raw config the engine accepted, and locks the panel while the run is live', async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    await retype('Steps', '12');
    await userEvent.click(main());
    const cmd = lab.sent.find((c) => c.type === 'start');
    expect(cmd?.type === 'start' && parseRunConfig(cmd.config)).toEqual(parseRunConfig({ ...TINY_CONFIG, train: { ...TINY_CONFIG.train, steps: 12 } }));
    const runId = cmd?.type === 'start' ? cmd.runId : '';
    const config = parseRunConfig(TINY_CONFIG);
    act(() => {
      lab.emit({ type: 'started', runId, config, parameterCount: 100, startStep: 0, targetSteps: 12, imported: false });
      lab.emit({ type: 'state', runId, state: 'running', step: 0, targetSteps: 12 });
    });
    expect(field('Steps').matches(':disabled')).toBe(true);
    expect(field('Learning rate').matches(':disabled')).toBe(true);
    expect(main().textContent).toBe('Pause');
    expect(blocked()).toBe(false);
    expect(document.activeElement).toBe(main()); // focus stays on the run bar after Start
    act(() => lab.emit({ type: 'state', runId, state: 'paused', step: 5, targetSteps: 12 }));
    expect(field('Learning rate').matches(':disabled')).toBe(true); // the panel shows the paused run's config
    const until = screen.getByLabelText('Train to step') as HTMLInputElement;
    expect(until.value).toBe('12');
    await userEvent.clear(until);
    await userEvent.type(until, '20');
    expect(main().textContent).toBe('Resume');
    await userEvent.click(main());
    expect(lab.sent.at(-1)).toEqual({ type: 'resume', runId, steps: 20 });
  });

  it('a preset replaces the whole config', async () => {
    renderLab(TINY_CONFIG);
    await retype('Learning rate', '-5');
    fireEvent.change(field('Preset'), { target: { value: 'addition' } });
    expect(field('Decoder layers').value).toBe('3');
    expect(field('Encoder layers').value).toBe('');
    expect(field('Architecture').value).toBe('decoder-only');
    expect(form().queryAllByText(/must be/)).toEqual([]);
  });
});

describe('what the page says and how the keyboard drives it', () => {
  it('says in the checkpointing field that fp16 recomputes every layer anyway', async () => {
    renderLab(TINY_CONFIG);
    const checkpointing = field('Checkpointing');
    expect(checkpointing.textContent).toContain('none');
    expect(checkpointing.textContent).not.toContain('per layer anyway');
    await userEvent.selectOptions(field('Precision'), 'fp16');
    expect((field('Checkpointing') as unknown as HTMLSelectElement).selectedOptions[0]!.textContent).toBe('none (per layer anyway under fp16)');
    const help = document.getElementById(field('Checkpointing').getAttribute('aria-describedby')!.split(' ').find((x) => x.endsWith('-help'))!)!;
    expect(help.textContent).toBe("fp16 keeps activations at half size by recomputing each layer (but each stack's last) in the backward pass, so “none” trains as “layers”");
  });

  it('starts and pauses with Space when focus is not in a field, and leaves Space to the fields', async () => {
    const lab = renderLab(TINY_CONFIG);
    act(() => lab.emit(READY));
    await userEvent.click(field('Steps'));
    await userEvent.keyboard(' ');
    expect(lab.sent.some((c) => c.type === 'start')).toBe(false); // a space typed into the field
    (document.activeElement as HTMLElement).blur();
    await userEvent.keyboard(' ');
    const cmd = lab.sent.find((c) => c.type === 'start');
    expect(cmd).toBeDefined();
    expect(document.activeElement).toBe(main());
    const runId = cmd?.type === 'start' ? cmd.runId : '';
    act(() => {
      lab.emit({ type: 'started', runId, config: parseRunConfig(TINY_CONFIG), parameterCount: 100, startStep: 0, targetSteps: 40, imported: false });
      lab.emit({ type: 'state', runId, state: 'running', step: 0, targetSteps: 40 });
    });
    (document.activeElement as HTMLElement).blur();
    await userEvent.keyboard(' ');
    expect(lab.sent.at(-1)).toEqual({ type: 'pause', runId });
  });
});
