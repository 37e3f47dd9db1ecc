// The engine's own tokenizer (src/engine/tokenizer.ts) over a package's tokenizer.json, for the
// converter's tests: npx tsx convert/tests/engine_tokenize.ts PKG_DIR prompts.json → JSON on stdout
// ({ ids, mask, unknown } per prompt, at the manifest's text.maxLength).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PromptTokenizer } from '../../src/engine/tokenizer';

const [dir, promptsFile] = process.argv.slice(2) as [string, string];
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const tok = new PromptTokenizer(JSON.parse(readFileSync(join(dir, manifest.text.tokenizer), 'utf8')), manifest.text.maxLength);
const prompts: string[] = JSON.parse(readFileSync(promptsFile, 'utf8'));
const out = prompts.map((p) => {
  const e = tok.encode(p);
  return { ids: e.ids, mask: e.attentionMask, unknown: tok.unknownWords(p) };
});
process.stdout.write(JSON.stringify(out));
