/**
 * Reading a trainer's progress from its output lines: the shipped script's JSON events, the HF
 * Trainer's logged dicts (`{'loss': 0.41, 'learning_rate': 6e-05, 'epoch': 0.5}`, printed by TRL
 * and LLaMA-Factory alike) and tqdm bars (`12/93 [00:25<02:50, 2.10s/it]`).
 */

export interface TrainerProgress {
  step?: number;
  totalSteps?: number;
  loss?: number;
  lr?: number;
  epoch?: number;
  /** Seconds left, from tqdm's estimate. */
  etaS?: number;
  /** The trainer reported the end of training (and where the checkpoint went, when it says). */
  done?: boolean;
  outputDir?: string;
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

function clock(text: string): number | undefined {
  const parts = text.split(":").map(Number);
  if (parts.some((p) => !Number.isFinite(p))) return undefined;
  return parts.reduce((s, p) => s * 60 + p, 0);
}

function compact(p: TrainerProgress): TrainerProgress | null {
  const out = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as TrainerProgress;
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * The progress a line reports, or null for any other line. Never throws. `bars: false` ignores tqdm
 * bars (the shipped script reports its steps as JSON; its libraries' bars are loading, not training).
 */
export function parseTrainerLine(line: string, options: { bars?: boolean } = {}): TrainerProgress | null {
  const text = line.trim();
  if (text.startsWith('{"thinkprm"')) {
    try {
      const e = JSON.parse(text) as Record<string, unknown>;
      if (e.thinkprm === "start") return compact({ step: 0, totalSteps: num(e.total_steps) });
      if (e.thinkprm === "step")
        return compact({
          step: num(e.step),
          totalSteps: num(e.total_steps),
          loss: num(e.loss),
          lr: num(e.lr),
          epoch: num(e.epoch),
        });
      if (e.thinkprm === "done")
        return compact({
          done: true,
          step: num(e.steps),
          outputDir: typeof e.output_dir === "string" ? e.output_dir : undefined,
        });
      return null;
    } catch {
      return null;
    }
  }
  if (text.startsWith("{'") && text.endsWith("}")) {
    const fields = new Map<string, string>();
    for (const m of text.matchAll(/'([a-z_]+)':\s*'?([-+0-9.eE]+|nan|inf)'?/g)) fields.set(m[1]!, m[2]!);
    if (fields.has("train_runtime"))
      return compact({ done: true, loss: num(fields.get("train_loss")), epoch: num(fields.get("epoch")) });
    if (!fields.has("loss")) return null;
    return compact({
      loss: num(fields.get("loss")),
      lr: num(fields.get("learning_rate")),
      epoch: num(fields.get("epoch")),
    });
  }
  if (options.bars === false) return null;
  // tqdm writes several bars per line with \r; the last is current. A bar with a description
  // ("Loading weights: 100%|…| 27/27", "Map: …") is not the training loop's, which has none.
  const bars = [...text.matchAll(/(?:^|\r)([^\r|]*?)\d+%\|[^|\r]*\|\s*(\d+)\/(\d+) \[([0-9:]+)<([0-9:?]+)/g)];
  const bar = bars.at(-1);
  if (bar && !/\S/.test(bar[1]!))
    return compact({ step: Number(bar[2]), totalSteps: Number(bar[3]), etaS: clock(bar[5]!) });
  return null;
}

/** Folds a progress report into the running state. */
export function mergeProgress(state: TrainerProgress, update: TrainerProgress): TrainerProgress {
  return { ...state, ...update };
}
