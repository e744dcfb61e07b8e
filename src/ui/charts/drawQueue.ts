import { useCallback, useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';

/*
 * Chart redraws, paced so that no main-thread task grows long:
 * - each chart redraws in a task of its own (a MessageChannel message each), never all at once;
 * - a chart out of view does not redraw until it scrolls into view;
 * - redraws come in windows, each chart at most once a window; a window starts at least
 *   MIN_INTERVAL_MS after the last one started, and while a run trains later when drawing took
 *   long (at most about a fifth of the time goes to drawing), so a slow machine still spends most
 *   of it training;
 * - while a run trains, a window first asks the worker for a quiet device (`hold`: it stops at the
 *   next step boundary) and gives it back (`release`) when the last chart is drawn. On a machine
 *   where the device is the CPU (software WebGPU, wasm threads) drawing would otherwise compete
 *   with training for the cores and take several times longer.
 */

export interface DrawGate {
  /** Whether a run trains now (windows are then spaced by how long they hold it). */
  busy(): boolean;
  /** Resolves when drawing may start: true when a training run was paused for it, false when none trains. */
  open(): Promise<boolean>;
  /** The window is over. */
  close(): void;
}

const MIN_INTERVAL_MS = 400;
/** Windows are spaced at least this many times their own length apart (start to start). */
const SPACING = 5;
let gate: DrawGate = { busy: () => false, open: async () => false, close: () => {} };
const pending = new Map<object, () => void>();
let drawing = false;
let lastWindow = -Infinity;
/** How long the last window kept a training run paused (0 when none trained). */
let lastHeld = 0;
let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

export function setDrawGate(g: DrawGate): void {
  gate = g;
}

/** Resolves in a new task, after whatever else is queued (React's passive effects included). */
function nextTask(): Promise<void> {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(null);
  });
}

async function drawWindow(): Promise<void> {
  const held = await gate.open();
  try {
    lastWindow = performance.now();
    while (pending.size > 0) {
      const [key, job] = pending.entries().next().value!;
      pending.delete(key);
      await nextTask();
      const start = performance.now();
      job();
      // A user-timing entry per draw: what a long-task report can be read against.
      performance.measure('chart draw', { start, end: performance.now() });
    }
    await nextTask();
  } finally {
    lastHeld = held ? performance.now() - lastWindow : 0;
    gate.close();
  }
}

let timer: ReturnType<typeof setTimeout> | undefined;
let due = Infinity;

/** Sets the next window's timer, or brings it forward (a run that stopped training needs no spacing). */
function schedule(): void {
  if (drawing || pending.size === 0) return;
  const at = lastWindow + (gate.busy() ? Math.max(MIN_INTERVAL_MS, SPACING * lastHeld) : MIN_INTERVAL_MS);
  if (timer !== undefined && at >= due) return;
  clearTimeout(timer);
  due = at;
  timer = setTimeout(() => {
    timer = undefined;
    due = Infinity;
    drawing = true;
    void drawWindow().finally(() => {
      drawing = false;
      schedule();
    });
  }, Math.max(0, at - performance.now()));
}

/**
 * `value` as of the last draw window: undefined until the first, so that mounting is paced too.
 * While `visible` is false (the chart is scrolled away) it keeps what it had, unless `identity`
 * changed since it was drawn (another run, or the run started): then it draws once more.
 */
export function useDrawn<T>(value: T, visible = true, identity = ''): T | undefined {
  const [shown, setShown] = useState<{ value: T; identity: string } | undefined>(undefined);
  const key = useRef({});
  const current = shown !== undefined && shown.identity === identity;
  useEffect(() => {
    if (!visible && current) return;
    const k = key.current;
    pending.set(k, () => flushSync(() => setShown({ value, identity })));
    schedule();
    return () => {
      pending.delete(k);
    };
  }, [value, visible, current, identity]);
  return shown?.value;
}

/** Whether an element is in (or near) the viewport; true where IntersectionObserver is missing. */
export function useInView<E extends Element>(): [(el: E | null) => void, boolean] {
  const [visible, setVisible] = useState(true);
  const observer = useRef<IntersectionObserver | null>(null);
  const ref = useCallback((el: E | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    observer.current = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), { rootMargin: '200px 0px' });
    observer.current.observe(el);
  }, []);
  return [ref, visible];
}
