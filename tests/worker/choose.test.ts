import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend';
import { adapterName, chooseBackend, isSoftwareAdapter, nextProbe, probeLimit, type ProbeOutcome } from '../../src/worker/choose';
import { probeBackend, probeConfig } from '../../src/worker/probe';
import type { WorkerEvent } from '../../src/worker/protocol';
import { pageSeries } from '../../src/worker/series';
import { TINY } from './harness';

const noSeries = pageSeries(new Map());

// What adapters say about themselves (GPUAdapterInfo), as seen on real machines.
const SWIFTSHADER = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' };
const LLVMPIPE = { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' };
const WARP = { vendor: 'microsoft', architecture: '', device: '', description: 'Microsoft Basic Render Driver' };
const NVIDIA = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060' };
const APPLE = { vendor: 'apple', architecture: 'metal-3', device: '', description: '' };

describe('software adapters', () => {
  it('are recognised by name, whichever field names them', () => {
    expect(isSoftwareAdapter(SWIFTSHADER)).toBe(true);
    expect(isSoftwareAdapter(LLVMPIPE)).toBe(true);
    expect(isSoftwareAdapter(WARP)).toBe(true);
    expect(isSoftwareAdapter({ description: 'D3D12 (WARP)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'lavapipe' })).toBe(true);
    expect(isSoftwareAdapter(NVIDIA)).toBe(false);
    expect(isSoftwareAdapter(APPLE)).toBe(false);
    expect(isSoftwareAdapter({ description: 'Intel(R) Iris(R) Xe Graphics' })).toBe(false); // "warp" only as a word
    expect(isSoftwareAdapter(APPLE, true)).toBe(true); // the browser's fallback adapter
  });

  it('are named for a sentence', () => {
    expect(adapterName(SWIFTSHADER)).toBe('SwiftShader Device (Subzero)');
    expect(adapterName(APPLE)).toBe('apple metal-3');
    expect(adapterName({})).toBe('an unnamed adapter');
  });
});

const timed = (backend: ProbeOutcome['backend'], ms: number, extra: Partial<ProbeOutcome> = {}) => ({ backend, status: 'timed', ms, ...extra }) as ProbeOutcome;

describe('the backend choice', () => {
  it('takes wasm over WebGPU on a software adapter, and says plainly that the GPU is a software one', () => {
    const choice = chooseBackend([
      timed('wasm', 45),
      { backend: 'webgpu', status: 'slow', phase: 'warm-up', limitMs: 1000, software: true, adapter: 'SwiftShader Device (Subzero)' },
    ]);
    expect(choice.backend).toBe('wasm');
    expect(choice.reason).toBe(
      'WebAssembly was fastest on one step of this config (45 ms, at least 22× faster than the slowest; ' +
        'WebGPU on SwiftShader Device (Subzero) (a software GPU) over 1.0 s to warm up). ' +
        'The GPU adapter, SwiftShader Device (Subzero), is a software one: it runs on the CPU.',
    );
  });

  it('takes a fast hardware GPU', () => {
    const choice = chooseBackend([timed('wasm', 120), timed('webgpu', 15, { adapter: 'NVIDIA GeForce RTX 3060' })]);
    expect(choice.backend).toBe('webgpu');
    expect(choice.reason).toMatch(/^WebGPU was fastest on one step of this config \(15 ms, at least 8\.0× faster than the slowest; WebAssembly 120 ms\)\.$/);
  });

  it('takes wasm when it beats a hardware GPU on a small config', () => {
    expect(chooseBackend([timed('wasm', 20), timed('webgpu', 60)]).backend).toBe('wasm');
  });

  it('breaks a near tie in the preferred order, hardware before software', () => {
    expect(chooseBackend([timed('wasm', 50), timed('webgpu', 53)]).backend).toBe('webgpu');
    expect(chooseBackend([timed('wasm', 50), timed('webgpu', 48, { software: true })]).backend).toBe('wasm');
    expect(chooseBackend([timed('wasm', 50), timed('webgpu', 60)]).backend).toBe('wasm'); // 20% is no tie
  });

  it('falls back to the preferred backend that works when none finished its timed step', () => {
    const choice = chooseBackend([
      { backend: 'wasm', status: 'slow', phase: 'step', limitMs: 2000 },
      { backend: 'webgpu', status: 'slow', phase: 'warm-up', limitMs: 4000 },
    ]);
    expect(choice.backend).toBe('webgpu');
    expect(chooseBackend([
      { backend: 'wasm', status: 'slow', phase: 'step', limitMs: 2000 },
      { backend: 'webgpu', status: 'slow', phase: 'warm-up', limitMs: 1000, software: true },
    ]).backend).toBe('wasm');
  });

  it('skips failed backends, and leaves the choice to the worker when nothing worked', () => {
    expect(chooseBackend([{ backend: 'wasm', status: 'failed', reason: 'no wasm' }, timed('webgpu', 300), timed('cpu', 900)]).backend).toBe('webgpu');
    const none = chooseBackend([{ backend: 'wasm', status: 'failed', reason: 'no wasm' }, { backend: 'webgpu', status: 'failed', reason: 'no adapter' }]);
    expect(none.backend).toBeUndefined();
    expect(none.reason).toBe('No backend could be timed (WebAssembly failed (no wasm); WebGPU failed (no adapter)); the worker tries each in turn.');
  });

  it('times wasm and WebGPU, then WebGL only when WebGPU failed and the cpu backend only when wasm failed', () => {
    expect(nextProbe([])).toBe('wasm');
    expect(nextProbe([timed('wasm', 10)])).toBe('webgpu');
    expect(nextProbe([timed('wasm', 10), timed('webgpu', 10)])).toBeUndefined();
    expect(nextProbe([timed('wasm', 10), { backend: 'webgpu', status: 'failed', reason: 'x' }])).toBe('webgl');
    expect(nextProbe([{ backend: 'wasm', status: 'failed', reason: 'x' }, timed('webgpu', 10)])).toBe('cpu');
  });

  it('gives a software GPU one second to warm up and a real one four; a timed step at most 3× the best', () => {
    expect(probeLimit('warm-up', { software: true })).toBe(1000);
    expect(probeLimit('warm-up', { software: false })).toBe(4000);
    expect(probeLimit('step', { bestMs: 200 })).toBe(600);
    expect(probeLimit('step', { bestMs: 20 })).toBe(300);
  });
});

describe('a probe (cpu backend in Node)', () => {
  it('times a small step of the config after a warm-up, reporting each phase', async () => {
    const events: WorkerEvent[] = [];
    await probeBackend('cpu', TINY, async (b) => {
      tf.enableProdMode();
      await useBackend(b);
      return {};
    }, (e) => events.push(e));
    expect(events.map((e) => (e.type === 'probed' ? e.phase : e.type))).toEqual(['ready', 'warm', 'timed']);
    const last = events.at(-1)!;
    expect(last.type === 'probed' && last.ms).toBeGreaterThan(0);
    expect((await probeConfig({ ...TINY, train: { ...TINY.train, batchSize: 64, gradAccumSteps: 4 } }, noSeries)).train).toMatchObject({ batchSize: 8, gradAccumSteps: 1 });
  });

  it('times a text run on a shipped corpus by characters, and a forecast on the CSV the page sent', async () => {
    const text = { model: { dModel: 8, nHeads: 2, nDecoderLayers: 1, dFF: 16, maxLen: 16 }, task: { name: 'text', file: 'mine.txt', tokenizer: 'bpe', vocabSize: 300, contextLength: 16 }, train: { batchSize: 32 } };
    expect((await probeConfig(text, noSeries)).task).toMatchObject({ corpus: 'carroll-alice', tokenizer: 'char' });
    const csv = ['t,a,b', ...Array.from({ length: 60 }, (_, i) => `${i},${Math.sin(i / 3).toFixed(3)},${(i % 7) / 7}`)].join('\n');
    const forecast = { model: { kind: 'forecaster', dModel: 8, nHeads: 2, nLayers: 1, dFF: 16 }, task: { name: 'forecast', csv: 'mine.csv', columns: ['a', 'b'], lookback: 8, horizon: 4 }, train: { batchSize: 8 } };
    for (const [config, files] of [[text, undefined], [forecast, { 'mine.csv': csv }]] as const) {
      const events: WorkerEvent[] = [];
      await probeBackend('cpu', config, async (b) => {
        tf.enableProdMode();
        await useBackend(b);
        return {};
      }, (e) => events.push(e), files);
      expect(events.map((e) => (e.type === 'probed' ? e.phase : e.type))).toEqual(['ready', 'warm', 'timed']);
    }
  });

  it('reports a config it cannot train as a failure', async () => {
    const events: WorkerEvent[] = [];
    await probeBackend('cpu', { ...TINY, train: { ...TINY.train, batchSize: 0 } }, async () => ({}), (e) => events.push(e));
    expect(events).toEqual([expect.objectContaining({ type: 'probed', backend: 'cpu', phase: 'failed', reason: expect.stringContaining('train.batchSize') })]);
  });
});
