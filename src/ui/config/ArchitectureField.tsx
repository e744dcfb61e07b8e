import { ARCHITECTURES } from './fields';
import { numberOf, type Draft } from './draft';

type Architecture = (typeof ARCHITECTURES)[number];

const count = (d: Draft, path: string) => {
  const v = numberOf(typeof d[path] === 'string' ? (d[path] as string) : '');
  return typeof v === 'number' ? v : 0;
};

export function architectureOf(d: Draft): Architecture | '' {
  const enc = count(d, 'model.nEncoderLayers');
  const dec = count(d, 'model.nDecoderLayers');
  if (enc > 0 && dec > 0) return 'encoder-decoder';
  if (dec > 0) return 'decoder-only';
  if (enc > 0) return 'encoder-only';
  return '';
}

interface Props {
  draft: Draft;
  onChange(path: string, value: string): void;
}

/** The model's shape, which follows from the layer counts; choosing one sets them. */
export function ArchitectureField({ draft, onChange }: Props) {
  const current = architectureOf(draft);
  const pick = (arch: Architecture) => {
    const enc = count(draft, 'model.nEncoderLayers') || 2;
    const dec = count(draft, 'model.nDecoderLayers') || 2;
    onChange('model.nEncoderLayers', arch === 'decoder-only' ? '0' : String(enc));
    onChange('model.nDecoderLayers', arch === 'encoder-only' ? '0' : String(dec));
  };
  return (
    <div className="field field-select">
      <label htmlFor="field-architecture">Architecture</label>
      <select id="field-architecture" value={current} onChange={(e) => pick(e.target.value as Architecture)}>
        {current === '' && <option value="">no layers</option>}
        {ARCHITECTURES.map((a) => <option key={a} value={a}>{a}</option>)}
      </select>
    </div>
  );
}
