import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { watchDevice, webgpuDevice, type DeviceTrouble } from '../../../src/engine/internals/webgpu';
import { onBackend } from '../../helpers/backends';

/* In a file of its own: the device it destroys is this process's. */
describe('a lost WebGPU device', () => {
  it('is reported once, with the reason, to whoever watches the device', async () => {
    await onBackend('webgpu');
    const x = tf.tensor1d([1, 2]).mul(2);
    await x.data();
    const seen: DeviceTrouble[] = [];
    const reported = new Promise<void>((resolve) => watchDevice((t) => {
      seen.push(t);
      resolve();
    }));
    const ignored: DeviceTrouble[] = [];
    watchDevice((t) => ignored.push(t))();
    webgpuDevice().destroy();
    await reported;
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([{ kind: 'lost', message: expect.stringMatching(/^the GPU device was lost \(destroyed/) }]);
    expect(ignored).toEqual([]);
  });
});
