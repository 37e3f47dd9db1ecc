/** Typed custom events the components send upward (they bubble and cross shadow roots). */
import type { ExportFormat } from './data/clip-encoder';

export interface VidletEvents {
  'vidlet-generate': void;
  'vidlet-cancel': void;
  'vidlet-export': { format: ExportFormat };
  'vidlet-show-entry': { id: string };
  'vidlet-restore-entry': { id: string };
  'vidlet-delete-entry': { id: string };
  'vidlet-compare-entry': { id: string };
  'vidlet-delete-model': void;
  'vidlet-add-adapters': { files: File[] };
  'vidlet-delete-adapter': { name: string };
}

export type VidletEventName = keyof VidletEvents;

export function vidletEvent<K extends VidletEventName>(name: K, detail: VidletEvents[K]): CustomEvent<VidletEvents[K]> {
  return new CustomEvent(name, { detail, bubbles: true, composed: true });
}

declare global {
  interface HTMLElementEventMap {
    'vidlet-generate': CustomEvent<void>;
    'vidlet-cancel': CustomEvent<void>;
    'vidlet-export': CustomEvent<{ format: ExportFormat }>;
    'vidlet-show-entry': CustomEvent<{ id: string }>;
    'vidlet-restore-entry': CustomEvent<{ id: string }>;
    'vidlet-delete-entry': CustomEvent<{ id: string }>;
    'vidlet-compare-entry': CustomEvent<{ id: string }>;
    'vidlet-delete-model': CustomEvent<void>;
    'vidlet-add-adapters': CustomEvent<{ files: File[] }>;
    'vidlet-delete-adapter': CustomEvent<{ name: string }>;
  }
}
