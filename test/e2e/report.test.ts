/**
 * `raspc report`: a self-contained HTML file; opened in headless Chromium (Debian `chromium`,
 * playwright-core), an input typed into the box is run by the page's own forward pass over the
 * embedded weights and the decoded output is read back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/src/cli/main.js';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'raspc-report-'));

const report = (program: string, vocab: string, maxLen: number, out: string, extra: string[] = []): void => {
  const r = spawnSync(process.execPath, [CLI, 'report', program, '--vocab', vocab, '--max-len', String(maxLen), '-o', out, ...extra], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
};

describe('raspc report', () => {
  const sortHtml = join(dir, 'sort.html');

  it('writes one self-contained HTML file (no external references)', () => {
    report('examples/sort.rasp', '1,2,3,4', 5, sortHtml);
    const html = readFileSync(sortHtml, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('id="raspc-verdict" class="ok">verified');
    expect(html).toContain(readFileSync('examples/sort.rasp', 'utf8').split('\n')[0]?.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  });

  it('the page sorts an input typed into the box (headless Chromium)', async () => {
    expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (Debian package chromium)`).toBe(true);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(sortHtml).href);
      await page.fill('#raspc-input', '4 2 3 1');
      await page.click('#raspc-run');
      expect(await page.textContent('#raspc-output')).toBe('1 2 3 4');
      await page.fill('#raspc-input', '3 3 1');
      await page.press('#raspc-input', 'Enter');
      expect(await page.textContent('#raspc-output')).toBe('1 3 3');
      // residual and attention tables are drawn with the direction names
      expect(await page.textContent('#raspc-residual')).toContain('sort:3');
      expect(await page.textContent('#raspc-attention')).toContain('query × key');
      // a token outside the vocabulary is an error message, not a crash
      await page.fill('#raspc-input', '1 9');
      await page.click('#raspc-run');
      expect(await page.textContent('#raspc-error')).toMatch(/not in the vocabulary/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('a numerical program runs in the page too, as the interpreter says', async () => {
    const html = join(dir, 'frac.html');
    report('examples/frac_prevs.rasp', 'h,e,l,o', 5, html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(html).href);
      await page.fill('#raspc-input', 'h e l l o');
      await page.click('#raspc-run');
      const run = spawnSync(process.execPath, [CLI, 'run', 'examples/frac_prevs.rasp', '--input', 'h e l l o'], { encoding: 'utf8' });
      expect(await page.textContent('#raspc-output')).toBe(run.stdout.trim());
    } finally {
      await browser.close();
    }
  });
});

describe('raspc report with script-like tokens and file names', () => {
  // Each would set window.__raspcPwned if the page ever parsed it as markup or script.
  const IMG = '<img/src/onerror=window.__raspcPwned=1>';
  const CLOSE = '</script><script>window.__raspcPwned=2</script>';
  const QUOTES = `"'&amp;<!--`;
  const SVG = '<svg/onload=window.__raspcPwned=3>';
  const vocab = [IMG, CLOSE, QUOTES, SVG];
  // the file name and a comment of the program reach the page too
  const name = join(dir, '"><img src=y onerror=window.__raspcPwned=4>.rasp');
  const html = join(dir, 'hostile.html');

  it('no token, file name or program text runs as script; they are shown as text', async () => {
    writeFileSync(name, `# </script><script>window.__raspcPwned=5</script> <img src=z onerror=window.__raspcPwned=6>\n${readFileSync('examples/reverse.rasp', 'utf8')}`);
    report(name, vocab.join(','), 4, html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const dialogs: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.addInitScript({ content: "window.alert = () => { window.__raspcPwned = 'alert'; };" });
      await page.goto(pathToFileURL(html).href);
      // nothing beyond the page's own markup: no images, no svg outside the DAG picture, its two scripts
      const onlyOwnMarkup = async (): Promise<void> => {
        expect(await page.locator('img').count()).toBe(0);
        expect(await page.locator('svg').count()).toBe(1);
        expect(await page.locator('script').count()).toBe(2);
        expect(await page.evaluate('typeof window.__raspcPwned')).toBe('undefined');
      };
      await onlyOwnMarkup();
      for (const input of [[IMG, CLOSE, QUOTES, SVG], [SVG, IMG], [QUOTES]]) {
        await page.fill('#raspc-input', input.join(' '));
        await page.click('#raspc-run');
        await onlyOwnMarkup();
        expect(await page.textContent('#raspc-error')).toBe('');
        expect(await page.textContent('#raspc-output')).toBe([...input].reverse().join(' '));
        const residual = (await page.textContent('#raspc-residual')) ?? '';
        for (const token of input) expect(residual).toContain(token);
        for (const token of vocab) expect(residual).toContain(`tokens:${token}`);
        expect(await page.textContent('#raspc-attention')).toContain(`1 ${input[0]}`);
      }
      // a token outside the vocabulary is echoed in the error as text
      await page.fill('#raspc-input', '<img/src/onerror=window.__raspcPwned=7>');
      await page.click('#raspc-run');
      expect(await page.textContent('#raspc-error')).toContain('<img/src/onerror=window.__raspcPwned=7> is not in the vocabulary');
      // the static parts show the names as text
      expect(await page.title()).toBe('"><img src=y onerror=window.__raspcPwned=4>.rasp — raspc report');
      expect(await page.textContent('h1')).toBe('"><img src=y onerror=window.__raspcPwned=4>.rasp');
      expect(await page.textContent('#raspc-program')).toContain('# </script><script>window.__raspcPwned=5</script> <img src=z');
      expect(await page.inputValue('#raspc-input')).toBe('<img/src/onerror=window.__raspcPwned=7>');
      await onlyOwnMarkup();
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
