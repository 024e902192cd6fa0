/**
 * Environment variables, read in this one place (DESIGN.md). Everything else receives settings.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export interface ModelSettings {
  /** Hugging Face hub endpoint (`HF_ENDPOINT`), default https://huggingface.co. */
  hfEndpoint: string;
  /** Access token for gated repos (`HF_TOKEN`). */
  hfToken?: string;
  /** Where downloaded and converted models live (`THINKPRM_CACHE`, default ~/.cache/thinkprm). */
  cacheDir: string;
  /** Never touch the network (`HF_HUB_OFFLINE=1`). */
  offline: boolean;
}

export function modelSettingsFromEnv(env: Record<string, string | undefined>): ModelSettings {
  const settings: ModelSettings = {
    hfEndpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
    cacheDir: env.THINKPRM_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "thinkprm"),
    offline: env.HF_HUB_OFFLINE === "1" || env.HF_HUB_OFFLINE === "true",
  };
  if (env.HF_TOKEN) settings.hfToken = env.HF_TOKEN;
  return settings;
}
