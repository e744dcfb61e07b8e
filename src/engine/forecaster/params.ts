import type { ParamSpec } from '../params';
import type { ForecasterConfig } from './config';

/** `nn.Linear` [out, in] and its bias. */
const linear = (prefix: string, out: number, inp: number): ParamSpec[] => [
  { name: `${prefix}.weight`, shape: [out, inp], init: 'xavier', matMulWeight: true },
  { name: `${prefix}.bias`, shape: [out], init: 'zeros' },
];

const layerNorm = (prefix: string, d: number): ParamSpec[] => [
  { name: `${prefix}.weight`, shape: [d], init: 'ones' },
  { name: `${prefix}.bias`, shape: [d], init: 'zeros' },
];

/** Every parameter of `LabForecaster`, in PyTorch's `state_dict()` order. */
export function forecasterParamSpecs(cfg: ForecasterConfig): ParamSpec[] {
  const d = cfg.dModel;
  const specs: ParamSpec[] = [...linear('embed', d, cfg.lookback)];
  for (let i = 0; i < cfg.nLayers; i++) {
    const p = `encoder.layers.${i}`;
    specs.push(
      { name: `${p}.self_attn.in_proj_weight`, shape: [3 * d, d], init: 'xavier', matMulWeight: true },
      { name: `${p}.self_attn.in_proj_bias`, shape: [3 * d], init: 'zeros' },
      ...linear(`${p}.self_attn.out_proj`, d, d),
      ...linear(`${p}.linear1`, cfg.dFF, d),
      ...linear(`${p}.linear2`, d, cfg.dFF),
      ...layerNorm(`${p}.norm1`, d),
      ...layerNorm(`${p}.norm2`, d),
    );
  }
  specs.push(...layerNorm('encoder.norm', d), ...linear('projector', cfg.horizon, d));
  return specs;
}
