// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttentionMap } from '../../../src/engine/eval/inspect';
import type { TaskConfig } from '../../../src/tasks/types';
import { TryItPanel, type TryItResult } from '../../../src/ui/tryit/TryItPanel';

afterEach(cleanup);

const reverse: TaskConfig = { name: 'reverse', minLength: 1, maxLength: 4, symbols: 5 };
const [A, B, C, EOS, BOS] = [3, 4, 5, 2, 1];

/** A row-stochastic [h][Tq][Tk] map with a distinct weight in every cell. */
const heads = (h: number, tq: number, tk: number) =>
  Array.from({ length: h }, (_, head) =>
    Array.from({ length: tq }, (_, i) => Array.from({ length: tk }, (_, j) => (j === (i + head) % tk ? 0.7 : 0.3 / (tk - 1)))),
  );
const map = (kind: AttentionMap['kind'], layer: number, queries: number[], keys: number[]): AttentionMap => ({
  kind,
  layer,
  site: `site.${kind}.${layer}`,
  queries,
  keys,
  heads: heads(2, queries.length, keys.length),
});

const src = [A, B, C, EOS];
const tgt = [BOS, C, B, A];
const result = (output: number[] | null): TryItResult => ({
  input: [A, B, C],
  output,
  generated: output ? [...output, EOS] : [C, C, C, C, C],
  expected: [C, B, A],
  maps: [map('encoder-self', 0, src, src), map('decoder-self', 0, tgt, tgt), map('cross', 0, tgt, src), map('cross', 1, tgt, src)],
});

const input = () => screen.getByTestId('tryit-input') as HTMLInputElement;
const runButton = () => screen.getByTestId('tryit-run') as HTMLButtonElement;

describe('Try it panel', () => {
  it("disables Run on invalid text and shows the task's message; runs valid text as token ids", async () => {
    const onRun = vi.fn();
    render(<TryItPanel task={reverse} busy={false} onRun={onRun} />);
    expect(runButton().disabled).toBe(true);
    await userEvent.type(input(), 'abz');
    expect(runButton().disabled).toBe(true);
    expect(input().getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('alert').textContent).toBe('unknown symbol "z": this task\'s symbols are a … e');
    await userEvent.clear(input());
    await userEvent.type(input(), 'abcde');
    expect(screen.getByRole('alert').textContent).toBe("5 symbols is too long: this task's inputs have at most 4");
    await userEvent.clear(input());
    await userEvent.type(input(), 'cab');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(runButton().disabled).toBe(false);
    await userEvent.click(runButton());
    expect(onRun).toHaveBeenCalledWith([C, A, B]);
  });

  it('keeps Run disabled while busy, and fills a new valid example on each Random example', async () => {
    const { rerender } = render(<TryItPanel task={reverse} busy={true} onRun={() => {}} />);
    const random = screen.getByRole('button', { name: 'Random example' });
    const drawn = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await userEvent.click(random);
      expect(input().value).toMatch(/^[a-e]{1,4}$/);
      drawn.add(input().value);
    }
    expect(drawn.size).toBeGreaterThan(1);
    expect(runButton().disabled).toBe(true);
    rerender(<TryItPanel task={reverse} busy={false} onRun={() => {}} />);
    expect(runButton().disabled).toBe(false);
  });

  it('shows the output beside the expected answer, marked token by token', () => {
    render(<TryItPanel task={reverse} busy={false} result={result([C, A])} onRun={() => {}} />);
    const output = screen.getByTestId('tryit-output');
    expect(within(output).getAllByRole('cell').map((c) => c.getAttribute('aria-label'))).toEqual(['c right', 'a wrong', 'missing']);
    expect(within(screen.getByTestId('tryit-expected')).getAllByRole('cell').map((c) => c.textContent)).toEqual(['c', 'b', 'a']);
    expect(screen.getByTestId('tryit-verdict').textContent).toBe('mismatch');
  });

  it('says so on an exact match, and shows every generated token when there is no EOS', () => {
    const { rerender } = render(<TryItPanel task={reverse} busy={false} result={result([C, B, A])} onRun={() => {}} />);
    expect(screen.getByTestId('tryit-verdict').textContent).toBe('exact match');
    rerender(<TryItPanel task={reverse} busy={false} result={result(null)} onRun={() => {}} />);
    expect(screen.getByTestId('tryit-verdict').textContent).toBe('mismatch');
    expect(within(screen.getByTestId('tryit-output')).getAllByRole('cell')).toHaveLength(5);
    expect(screen.getByText(/No end-of-sequence token within 5 tokens/)).toBeTruthy();
  });

  it('draws one heatmap per head, Tq × Tk cells with a tooltip each, and switches kind, layer and head', async () => {
    render(<TryItPanel task={reverse} busy={false} result={result([C, B, A])} onRun={() => {}} />);
    const kind = screen.getByLabelText('Attention') as HTMLSelectElement;
    expect([...kind.options].map((o) => o.text)).toEqual(['Cross-attention', 'Decoder self-attention', 'Encoder self-attention']);
    // Cross-attention, layer 1, all heads: two maps of 4 queries × 4 keys.
    let maps = screen.getAllByRole('img', { name: /^attention heatmap/ });
    expect(maps.map((m) => m.getAttribute('aria-label'))).toEqual([
      'attention heatmap: cross-attention, layer 1, head 1',
      'attention heatmap: cross-attention, layer 1, head 2',
    ]);
    const cells = maps[0]!.querySelectorAll('rect');
    expect(cells).toHaveLength(tgt.length * src.length);
    expect(cells[0]!.querySelector('title')!.textContent).toBe('<bos> → a: 0.700');
    expect(cells[0]!.getAttribute('fill')).not.toBe(cells[1]!.getAttribute('fill'));

    // Options show layers and heads counted from 1.
    const choose = (label: string, text: string) => {
      const select = screen.getByLabelText(label);
      return userEvent.selectOptions(select, within(select).getByRole('option', { name: text }));
    };
    await choose('Layer', '2');
    await choose('Head', '2');
    maps = screen.getAllByRole('img', { name: /^attention heatmap/ });
    expect(maps.map((m) => m.getAttribute('aria-label'))).toEqual(['attention heatmap: cross-attention, layer 2, head 2']);

    await userEvent.selectOptions(kind, 'encoder-self');
    maps = screen.getAllByRole('img', { name: /^attention heatmap/ });
    expect(maps.map((m) => m.getAttribute('aria-label'))).toEqual(['attention heatmap: encoder self-attention, layer 1, head 2']);
    expect(maps[0]!.querySelectorAll('rect')).toHaveLength(src.length * src.length);
  });

  it('offers only the kinds the model has', () => {
    const decoderOnly = { ...result([C, B, A]), maps: [map('decoder-self', 0, tgt, tgt)] };
    render(<TryItPanel task={reverse} busy={false} result={decoderOnly} onRun={() => {}} />);
    expect([...(screen.getByLabelText('Attention') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['decoder-self']);
  });

  it('shows the error it is given', () => {
    render(<TryItPanel task={reverse} busy={false} error="the model is not ready" onRun={() => {}} />);
    expect(screen.getByRole('alert').textContent).toBe('the model is not ready');
  });
});
