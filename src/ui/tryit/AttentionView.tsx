import { useId, useState } from 'react';
import type { AttentionKind, AttentionMap } from '../../engine/eval/inspect';
import { ColourScale } from './ColourScale';
import { Heatmap } from './Heatmap';

export interface AttentionViewProps {
  maps: AttentionMap[];
  /** Display names by token id. */
  tokenNames: readonly string[];
}

const KIND_LABELS: Record<AttentionKind, string> = {
  cross: 'Cross-attention',
  'decoder-self': 'Decoder self-attention',
  'encoder-self': 'Encoder self-attention',
};
// Cross-attention first: it shows which input position each output token was read from.
const KIND_ORDER: AttentionKind[] = ['cross', 'decoder-self', 'encoder-self'];
const ALL_HEADS = 'all';

/**
 * Picks one attention map by kind and layer and draws one head, or every head side by side.
 * A choice the current maps do not have (after a new result) falls back to the first that exists.
 */
export function AttentionView({ maps, tokenNames }: AttentionViewProps) {
  const id = useId();
  const [kindChoice, setKind] = useState<AttentionKind>();
  const [layerChoice, setLayer] = useState(0);
  const [headChoice, setHead] = useState<number | typeof ALL_HEADS>(ALL_HEADS);

  const kinds = KIND_ORDER.filter((k) => maps.some((m) => m.kind === k));
  const kind = kindChoice !== undefined && kinds.includes(kindChoice) ? kindChoice : kinds[0];
  const ofKind = maps.filter((m) => m.kind === kind);
  const map = ofKind.find((m) => m.layer === layerChoice) ?? ofKind[0];
  if (!kind || !map) return <p className="note">This model has no attention maps to show.</p>;
  const head = headChoice !== ALL_HEADS && headChoice < map.heads.length ? headChoice : ALL_HEADS;

  const names = (tokens: number[]) => tokens.map((t) => tokenNames[t] ?? `<${t}>`);
  const label = `${KIND_LABELS[kind].toLowerCase()}, layer ${map.layer + 1}`;
  const shown = head === ALL_HEADS ? map.heads.map((_, h) => h) : [head];
  return (
    <div className="tryit-attention">
      <div className="tryit-selectors">
        <div className="field field-select">
          <label htmlFor={`${id}-kind`}>Attention</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as AttentionKind)}>
            {kinds.map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
          </select>
        </div>
        <div className="field field-select">
          <label htmlFor={`${id}-layer`}>Layer</label>
          <select id={`${id}-layer`} value={map.layer} onChange={(e) => setLayer(Number(e.target.value))}>
            {ofKind.map((m) => <option key={m.layer} value={m.layer}>{m.layer + 1}</option>)}
          </select>
        </div>
        <div className="field field-select">
          <label htmlFor={`${id}-head`}>Head</label>
          <select id={`${id}-head`} value={head} onChange={(e) => setHead(e.target.value === ALL_HEADS ? ALL_HEADS : Number(e.target.value))}>
            <option value={ALL_HEADS}>All heads</option>
            {map.heads.map((_, h) => <option key={h} value={h}>{h + 1}</option>)}
          </select>
        </div>
        <ColourScale />
      </div>
      <p className="note">
        Rows: the positions that attend ({kind === 'encoder-self' ? 'input' : 'decoder input, each row the step that produced the next token'});
        columns: the positions attended to. Hover a cell for its weight. <code>{map.site}</code>
      </p>
      <div className={head === ALL_HEADS ? 'tryit-multiples' : undefined}>
        {shown.map((h) => (
          <Heatmap
            key={h}
            title={`${label}, head ${h + 1}`}
            weights={map.heads[h]!}
            rowLabels={names(map.queries)}
            columnLabels={names(map.keys)}
            cell={head === ALL_HEADS && map.heads.length > 2 ? 14 : 22}
          />
        ))}
      </div>
    </div>
  );
}
