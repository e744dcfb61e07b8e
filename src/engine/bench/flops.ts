import { architecture, type ModelConfig } from '../config';
import type { Batch } from '../../tasks/types';

/** 2·m·k·n for one matmul. */
const mm = (m: number, k: number, n: number) => 2 * m * k * n;

/** Forward matmul FLOPs of one layer's attention: projections, QKᵀ and weights·V. */
function attentionFlops(cfg: ModelConfig, rows: number, tq: number, tk: number): number {
  const d = cfg.dModel;
  const projections = mm(rows * tq, d, d) + mm(rows * tk, d, 2 * d) + mm(rows * tq, d, d); // q, kv, out
  const scores = 2 * mm(rows * tq, d, tk); // QKᵀ and weights·V over all heads
  return projections + scores;
}

const ffFlops = (cfg: ModelConfig, tokens: number) => mm(tokens, cfg.dModel, cfg.dFF) + mm(tokens, cfg.dFF, cfg.dModel);

/**
 * Matmul FLOPs of one training pass over `batch` (forward, and a backward that costs twice the
 * forward), the usual basis of model FLOPs utilisation. Element-wise work is left out.
 */
export function trainingFlops(cfg: ModelConfig, batch: Batch): number {
  const rows = batch.tgtOut.length;
  const ts = batch.src?.[0]?.length ?? 0;
  const tt = batch.tgtIn?.[0]?.length ?? 0;
  let forward = 0;
  const arch = architecture(cfg);
  if (arch === 'encoder-decoder') {
    forward += cfg.nEncoderLayers * (attentionFlops(cfg, rows, ts, ts) + ffFlops(cfg, rows * ts));
    forward += cfg.nDecoderLayers * (attentionFlops(cfg, rows, tt, tt) + attentionFlops(cfg, rows, tt, ts) + ffFlops(cfg, rows * tt));
  } else {
    const t = arch === 'decoder-only' ? tt : ts;
    const n = arch === 'decoder-only' ? cfg.nDecoderLayers : cfg.nEncoderLayers;
    forward += n * (attentionFlops(cfg, rows, t, t) + ffFlops(cfg, rows * t));
  }
  forward += mm(rows * (arch === 'encoder-only' ? ts : tt), cfg.dModel, cfg.tgtVocabSize);
  return 3 * forward;
}
