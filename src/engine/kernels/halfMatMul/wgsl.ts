import { ENABLE_F16 } from '../../internals/webgpu';
import { halfHelpers } from '../half/wgsl';
import type { HalfFormat } from '../half/contract';
import type { HalfRead } from './contract';

/** The side of a square tile: a workgroup computes TILE×TILE outputs, TILE of the inner dim at a time. */
export const TILE = 16;

/**
 * The half-operand matmul in WGSL. Each operand is an array of int32 words, two halves each,
 * in the flat order of its (untransposed) shape. Tiles of both operands go through workgroup
 * memory, as f32 (read through unpack2x16float, bit operations where it is not exact) or, with
 * `read` 'native', as f16 straight from the words (`shader-f16`). Products of two halves are
 * exact in f32; they are summed in f32 in order of the inner index, and the sum is rounded to
 * the half format as LabRoundHalf rounds (NaN passes through), or left in f32 (`roundOutput` false).
 */
export function halfMatMulShader(format: HalfFormat, read: HalfRead, transposeA: boolean, transposeB: boolean, roundOutput: boolean): string {
  const native = read === 'native';
  if (native && format !== 'fp16') throw new Error('native half reads exist for fp16 only');
  const T = native ? 'f16' : 'f32';
  // One half of operand `name` at flat index idx, as the tile's type.
  const reader = (name: string) =>
    native
      ? `fn half_${name}(idx: i32) -> f16 { return bitcast<vec2<f16>>(${name}[idx / 2])[idx % 2]; }`
      : `fn half_${name}(idx: i32) -> f32 {
  let word = bitcast<u32>(${name}[idx / 2]);
  return bitcast<f32>(unpackBits((word >> (16u * u32(idx % 2))) & 0xffffu));
}`;
  return `${native ? `${ENABLE_F16}\n` : ''}${halfHelpers(format)}
${reader('a')}
${reader('b')}

var<workgroup> tileA: array<array<${T}, ${TILE}>, ${TILE}>;
var<workgroup> tileB: array<array<${T}, ${TILE}>, ${TILE}>;

// op(a)[batch, row, k] and op(b)[batch, k, col], zero outside.
fn valueA(batch: i32, row: i32, k: i32) -> ${T} {
  let m = uniforms.rows;
  let kk = uniforms.inner;
  if (row >= m || k >= kk) { return ${T}(0.0); }
  return half_a(batch * m * kk + ${transposeA ? 'k * m + row' : 'row * kk + k'});
}

fn valueB(batch: i32, k: i32, col: i32) -> ${T} {
  let n = uniforms.cols;
  let kk = uniforms.inner;
  if (col >= n || k >= kk) { return ${T}(0.0); }
  return half_b(batch * kk * n + ${transposeB ? 'col * kk + k' : 'k * n + col'});
}

fn main() {
  let col = i32(globalId.x);
  let row = i32(globalId.y);
  let batch = i32(globalId.z);
  let lc = i32(localId.x);
  let lr = i32(localId.y);
  var acc = 0.0;
  let tiles = (uniforms.inner + ${TILE - 1}) / ${TILE};
  for (var t = 0; t < tiles; t++) {
    tileA[lr][lc] = valueA(batch, row, t * ${TILE} + lc);
    tileB[lr][lc] = valueB(batch, t * ${TILE} + lr, col);
    workgroupBarrier();
    for (var k = 0; k < ${TILE}; k++) {
      acc = acc + f32(tileA[lr][k]) * f32(tileB[k][lc]);
    }
    workgroupBarrier();
  }
  if (row < uniforms.rows && col < uniforms.cols) {
${roundOutput ? `    let bits = bitcast<u32>(acc);
    let rounded = select(roundBits(bits), bits, (bits & 0x7fffffffu) > 0x7f800000u);
    result[(batch * uniforms.rows + row) * uniforms.cols + col] = bitcast<f32>(rounded);` : `    result[(batch * uniforms.rows + row) * uniforms.cols + col] = acc;`}
  }
}
`;
}
