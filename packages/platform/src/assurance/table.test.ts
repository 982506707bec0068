import { describe, expect, it } from 'vitest';
import { REASON_CODES, reason } from './reasons.ts';
import {
  ASSURANCE_TABLE,
  EIDAS_ACR,
  acrFor,
  assuranceTableHtml,
  assuranceTableJson,
  assuranceTableMarkdown,
  eidasOf,
  minEidas,
  nistAalOf,
  nistFalOf,
  nistIalOf,
  type Aal,
  type Ial,
} from './table.ts';

/** The shape of a JSON value with every leaf replaced by its type: prose may change, structure may not. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  }
  return v === null ? 'null' : typeof v;
}

describe('assurance table', () => {
  const parsed = JSON.parse(assuranceTableJson()) as typeof ASSURANCE_TABLE;

  it('ok-json-round-trips-and-is-stable', () => {
    expect(parsed).toEqual(ASSURANCE_TABLE);
    expect(assuranceTableJson()).toBe(assuranceTableJson());
    expect(parsed.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(parsed.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('ok-structure-snapshot', () => {
    // Structure, levels, mappings and acr values are the contract; prose is not.
    const skeleton = {
      keys: Object.keys(parsed),
      frameworks: Object.keys(parsed.frameworks),
      identityProofing: parsed.identityProofing.map((r) => [r.level, r.nist, r.eidas]),
      authentication: parsed.authentication.map((r) => [r.level, r.nist, r.eidas, r.reauthenticationSeconds]),
      federation: parsed.federation.map((r) => [r.level, r.nist, r.issuedByWatashi]),
      acr: parsed.acrValues.map((r) => [r.value, r.vocabulary, r.ial, r.aal, r.eidas]),
      rowShapes: {
        ip: shape(parsed.identityProofing[0]),
        au: shape(parsed.authentication[0]),
        fe: shape(parsed.federation[0]),
        acr: shape(parsed.acrValues[0]),
      },
    };
    expect(skeleton).toMatchInlineSnapshot(`
      {
        "acr": [
          [
            "urn:watashi:ac:jp:aal1",
            "watashi",
            0,
            1,
            null,
          ],
          [
            "urn:watashi:ac:jp:aal2",
            "watashi",
            0,
            2,
            null,
          ],
          [
            "urn:watashi:ac:jp:aal3",
            "watashi",
            0,
            3,
            null,
          ],
          [
            "urn:watashi:ac:jp:ial1-aal1",
            "watashi",
            1,
            1,
            null,
          ],
          [
            "urn:watashi:ac:jp:ial1-aal2",
            "watashi",
            1,
            2,
            null,
          ],
          [
            "urn:watashi:ac:jp:ial1-aal3",
            "watashi",
            1,
            3,
            null,
          ],
          [
            "urn:watashi:ac:jp:ial2-aal1",
            "watashi",
            2,
            1,
            "low",
          ],
          [
            "urn:watashi:ac:jp:ial2-aal2",
            "watashi",
            2,
            2,
            "low",
          ],
          [
            "urn:watashi:ac:jp:ial2-aal3",
            "watashi",
            2,
            3,
            "low",
          ],
          [
            "urn:watashi:ac:jp:ial3-aal1",
            "watashi",
            3,
            1,
            "low",
          ],
          [
            "urn:watashi:ac:jp:ial3-aal2",
            "watashi",
            3,
            2,
            "substantial",
          ],
          [
            "urn:watashi:ac:jp:ial3-aal3",
            "watashi",
            3,
            3,
            "high",
          ],
          [
            "http://eidas.europa.eu/LoA/low",
            "eidas",
            2,
            1,
            "low",
          ],
          [
            "http://eidas.europa.eu/LoA/substantial",
            "eidas",
            3,
            2,
            "substantial",
          ],
          [
            "http://eidas.europa.eu/LoA/high",
            "eidas",
            3,
            3,
            "high",
          ],
          [
            "phr",
            "eap",
            0,
            1,
            null,
          ],
          [
            "phrh",
            "eap",
            0,
            1,
            null,
          ],
        ],
        "authentication": [
          [
            1,
            "AAL1",
            "low",
            2592000,
          ],
          [
            2,
            "AAL2",
            "substantial",
            86400,
          ],
          [
            3,
            "AAL3",
            "high",
            43200,
          ],
        ],
        "federation": [
          [
            1,
            "FAL1",
            false,
          ],
          [
            2,
            "FAL2",
            true,
          ],
          [
            3,
            "FAL3",
            true,
          ],
        ],
        "frameworks": [
          "jp",
          "nist",
          "eidas",
        ],
        "identityProofing": [
          [
            1,
            "none",
            "none",
          ],
          [
            2,
            "IAL1",
            "low",
          ],
          [
            3,
            "IAL2",
            "high",
          ],
        ],
        "keys": [
          "id",
          "version",
          "date",
          "frameworks",
          "notes",
          "acrScheme",
          "identityProofing",
          "authentication",
          "federation",
          "acrValues",
        ],
        "rowShapes": {
          "acr": {
            "aal": "number",
            "eidas": "null",
            "hardwareProtected": "boolean",
            "ial": "number",
            "meaningEn": "string",
            "meaningJa": "string",
            "nist": {
              "aal": "string",
              "ial": "string",
            },
            "phishingResistant": "boolean",
            "source": "string",
            "value": "string",
            "vocabulary": "string",
          },
          "au": {
            "definitionEn": "string",
            "definitionJa": "string",
            "eidas": "string",
            "level": "number",
            "mappingNote": "string",
            "nameEn": "string",
            "nameJa": "string",
            "nist": "string",
            "reauthenticationSeconds": "number",
            "source": "string",
            "watashi": "string",
          },
          "fe": {
            "definitionEn": "string",
            "eidas": "string",
            "issuedByWatashi": "boolean",
            "level": "number",
            "nameEn": "string",
            "nameJa": "string",
            "nist": "string",
            "source": "string",
            "watashi": "string",
          },
          "ip": {
            "definitionEn": "string",
            "definitionJa": "string",
            "eidas": "string",
            "level": "number",
            "mappingNote": "string",
            "nameEn": "string",
            "nameJa": "string",
            "nist": "string",
            "source": "string",
            "watashi": "string",
          },
        },
      }
    `);
  });

  it('ok-every-level-maps-to-exactly-one-nist-and-one-eidas-value', () => {
    const nistIal = new Set(['none', 'IAL1', 'IAL2', 'IAL3']);
    const nistAal = new Set(['none', 'AAL1', 'AAL2', 'AAL3']);
    const eidas = new Set(['none', 'low', 'substantial', 'high']);
    for (const rows of [parsed.identityProofing, parsed.authentication]) {
      expect(rows.map((r) => r.level)).toEqual([1, 2, 3]);
    }
    for (const r of parsed.identityProofing) {
      expect(typeof r.nist).toBe('string');
      expect(nistIal.has(r.nist)).toBe(true);
      expect(eidas.has(r.eidas)).toBe(true);
    }
    for (const r of parsed.authentication) {
      expect(nistAal.has(r.nist)).toBe(true);
      expect(eidas.has(r.eidas)).toBe(true);
    }
    // Mappings are monotonic and injective: a higher Japanese level never maps lower.
    const rank = (xs: readonly string[], order: readonly string[]) => xs.map((x) => order.indexOf(x));
    const ipN = rank(
      parsed.identityProofing.map((r) => r.nist),
      ['none', 'IAL1', 'IAL2', 'IAL3'],
    );
    const auE = rank(
      parsed.authentication.map((r) => r.eidas),
      ['none', 'low', 'substantial', 'high'],
    );
    expect(ipN).toEqual([...ipN].sort());
    expect(new Set(ipN).size).toBe(3);
    expect(auE).toEqual([1, 2, 3]);
    // Each FAL maps to one NIST FAL; eIDAS and JP-2019 define none.
    expect(parsed.federation.map((r) => [r.nist, r.eidas])).toEqual([
      ['FAL1', 'none'],
      ['FAL2', 'none'],
      ['FAL3', 'none'],
    ]);
  });

  it('ok-every-row-has-a-source-citation', () => {
    const rows = [
      ...parsed.identityProofing,
      ...parsed.authentication,
      ...parsed.federation,
      ...parsed.acrValues,
    ];
    for (const r of rows) expect(r.source.length).toBeGreaterThan(10);
    expect(parsed.acrScheme.source).toMatch(/OIDC Core/);
    expect(parsed.frameworks.jp.date).toBe('2019-02-25');
    expect(parsed.frameworks.jp.note).toMatch(/DS-511/);
    expect(parsed.frameworks.nist.date).toBe('2025-07-31');
  });

  it('ok-acr-values-are-unique-and-follow-the-scheme', () => {
    const values = parsed.acrValues.map((r) => r.value);
    expect(new Set(values).size).toBe(values.length);
    for (const r of parsed.acrValues.filter((x) => x.vocabulary === 'watashi')) {
      expect(r.value).toBe(acrFor(r.ial, r.aal));
      expect(r.value).toMatch(/^urn:watashi:ac:jp:(ial[1-3]-)?aal[1-3]$/);
      expect(r.eidas).toBe(eidasOf(r.ial, r.aal));
      expect(r.nist).toEqual({ ial: nistIalOf(r.ial), aal: nistAalOf(r.aal) });
    }
    expect(values).toContain(EIDAS_ACR.substantial);
    expect(EIDAS_ACR.substantial).toBe('http://eidas.europa.eu/LoA/substantial');
  });

  it('ok-eidas-is-the-minimum-of-the-elements', () => {
    expect(minEidas('high', 'substantial')).toBe('substantial');
    expect(minEidas('low', 'high')).toBe('low');
    expect(minEidas('none', 'high')).toBeNull();
    const expected: Record<string, string | null> = {
      '0-3': null,
      '1-3': null,
      '2-3': 'low',
      '3-1': 'low',
      '3-2': 'substantial',
      '3-3': 'high',
      '3-0': null,
    };
    for (const [k, v] of Object.entries(expected)) {
      const [i, a] = k.split('-').map(Number) as [Ial, Aal];
      expect(eidasOf(i, a), k).toBe(v);
    }
    expect(nistFalOf(2)).toBe('FAL2');
  });

  it('ok-markdown-and-html-render-every-level-and-acr', () => {
    const md = assuranceTableMarkdown();
    const html = assuranceTableHtml();
    for (const r of ASSURANCE_TABLE.acrValues) {
      expect(md).toContain(r.value);
      expect(html).toContain(r.value);
    }
    for (const label of ['IAL1', 'IAL3', 'AAL3', 'FAL2', '身元確認保証レベル3', '当人認証保証レベル3']) {
      expect(md).toContain(label);
    }
    expect(md).toContain(`version ${ASSURANCE_TABLE.version}`);
    for (const r of [...ASSURANCE_TABLE.identityProofing, ...ASSURANCE_TABLE.authentication]) {
      expect(md).toContain(r.mappingNote);
    }
    expect(md).toContain('| JP IAL3 |');
    expect(html).not.toMatch(/<script/i);
    expect(html.startsWith('<section')).toBe(true);
  });

  it('ok-every-reason-code-has-bilingual-text-and-a-source', () => {
    for (const code of REASON_CODES) {
      const r = reason(code);
      expect(r.en.length, code).toBeGreaterThan(10);
      expect(r.ja, code).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(r.source.length, code).toBeGreaterThan(5);
    }
  });
});
