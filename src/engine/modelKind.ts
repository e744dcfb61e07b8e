import { parseModelConfig, type ModelConfig } from './config';
import { ConfigError } from './validation';
import { parseForecasterConfig, type ForecasterConfig, type ForecastShape } from './forecaster/config';
import { forecasterParamSpecs } from './forecaster/params';
import { paramSpecs, sizeOf, type ParamSpec } from './params';

/*
 * The lab's two kinds of model: the token Transformer (a config without `kind`) and the
 * forecaster (`"kind": "forecaster"`, reference README). Which one a config is, how it is
 * parsed and which parameters it has are decided here; everything else asks.
 */

export type LabModelConfig = ModelConfig | ForecasterConfig;
export type ModelKind = 'transformer' | 'forecaster';

export const isForecaster = (cfg: LabModelConfig): cfg is ForecasterConfig => (cfg as { kind?: unknown }).kind === 'forecaster';

export const modelKind = (cfg: LabModelConfig): ModelKind => (isForecaster(cfg) ? 'forecaster' : 'transformer');

/** The kind a raw config asks for: its `kind` field, absent for token Transformers. */
export function rawKind(raw: unknown): ModelKind {
  const kind = raw !== null && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  return kind === 'forecaster' ? 'forecaster' : 'transformer';
}

/**
 * A model config of either kind. A `kind` other than "forecaster" goes to the token
 * Transformer's schema, which names it as an unknown field.
 */
export function parseLabModelConfig(
  raw: unknown,
  opts: { prefix?: string; vocab?: { src: number; tgt: number }; shape?: ForecastShape } = {},
): LabModelConfig {
  if (rawKind(raw) === 'forecaster') return parseForecasterConfig(raw, { prefix: opts.prefix, shape: opts.shape });
  return parseModelConfig(raw, { prefix: opts.prefix, vocab: opts.vocab });
}

/** Every parameter in PyTorch's `state_dict()` order, for either kind. */
export const specsOf = (cfg: LabModelConfig): ParamSpec[] => (isForecaster(cfg) ? forecasterParamSpecs(cfg) : paramSpecs(cfg));

export const parameterCountOf = (cfg: LabModelConfig) => specsOf(cfg).reduce((n, s) => n + sizeOf(s.shape), 0);

/** A token Transformer's config; a forecaster's is refused, naming `path`. */
export function transformerConfig(cfg: LabModelConfig, path = 'config.kind'): ModelConfig {
  if (isForecaster(cfg)) throw new ConfigError([{ path, message: 'this is a forecaster ("kind": "forecaster"); a token Transformer is needed here' }]);
  return cfg;
}
