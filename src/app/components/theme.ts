/** Shared look: tokens, buttons, fields and cards used by every component's shadow root. */
import { css } from 'lit';

export const tokens = css`
  :host {
    --accent: #5b3df5;
    --accent-strong: #4527e0;
    --accent-soft: #efebff;
    --ink: #17162a;
    --ink-2: #4a4867;
    --ink-3: #807e99;
    --line: #e6e4f0;
    --surface: #ffffff;
    --surface-2: #f7f6fb;
    --danger: #c62f4a;
    --danger-soft: #fdecef;
    --ok: #1c8a5a;
    --radius: 14px;
    --radius-sm: 9px;
    --shadow: 0 1px 2px rgb(23 22 42 / 6%), 0 8px 24px rgb(23 22 42 / 6%);
    font-family: Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: var(--ink);
  }
`;

export const controls = css`
  button,
  .button {
    font: inherit;
    font-weight: 600;
    font-size: 14px;
    border-radius: var(--radius-sm);
    border: 1px solid var(--line);
    background: var(--surface);
    color: var(--ink);
    padding: 8px 14px;
    cursor: pointer;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    text-decoration: none;
    transition: background 0.15s, border-color 0.15s, box-shadow 0.15s;
  }
  button:hover:not(:disabled),
  .button:hover {
    border-color: #cfcbe3;
    background: var(--surface-2);
  }
  button:focus-visible,
  .button:focus-visible,
  input:focus-visible,
  textarea:focus-visible,
  select:focus-visible,
  summary:focus-visible {
    outline: 3px solid rgb(91 61 245 / 35%);
    outline-offset: 1px;
  }
  button:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: white;
  }
  button.primary:hover:not(:disabled) {
    background: var(--accent-strong);
    border-color: var(--accent-strong);
  }
  button.danger {
    color: var(--danger);
  }
  button.danger:hover:not(:disabled) {
    background: var(--danger-soft);
    border-color: #f3c4cd;
  }
  button.ghost {
    border-color: transparent;
    background: transparent;
  }
  label {
    font-size: 13px;
    font-weight: 600;
    color: var(--ink-2);
  }
  input,
  textarea,
  select {
    font: inherit;
    font-size: 14px;
    color: var(--ink);
    background: var(--surface);
    border: 1px solid var(--line);
    border-radius: var(--radius-sm);
    padding: 8px 10px;
    box-sizing: border-box;
    width: 100%;
  }
  textarea {
    resize: vertical;
    line-height: 1.45;
  }
  .muted {
    color: var(--ink-3);
    font-size: 13px;
  }
  .card {
    background: var(--surface);
    border: 1px solid var(--line);
    border-radius: var(--radius);
    box-shadow: var(--shadow);
  }
  .bar {
    height: 6px;
    border-radius: 99px;
    background: var(--accent-soft);
    overflow: hidden;
  }
  .bar > span {
    display: block;
    height: 100%;
    background: var(--accent);
    border-radius: 99px;
    transition: width 0.2s;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
