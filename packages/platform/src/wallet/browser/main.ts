/**
 * The wallet script: one ES module for every page (bundled by ../bundle.ts). It reads the page id
 * from `<body data-page>` and runs that page. Anything that escapes a page is shown in its error box.
 */
import { accountPage } from './account.ts';
import { consentsPage } from './consents.ts';
import { disclosuresPage } from './disclosures.ts';
import { Feedback } from './dom.ts';
import { enrolPage } from './enrol.ts';
import { loginPage, passkeysPage } from './passkeys.ts';
import { personasPage } from './personas.ts';

const PAGES: Readonly<Record<string, () => Promise<void> | void>> = {
  home: () => undefined,
  enrol: enrolPage,
  login: loginPage,
  passkeys: passkeysPage,
  personas: personasPage,
  consents: consentsPage,
  disclosures: disclosuresPage,
  account: accountPage,
};

async function run(): Promise<void> {
  const id = document.body.dataset['page'] ?? '';
  const page = PAGES[id];
  if (page === undefined) throw new TypeError(`unknown wallet page "${id}"`);
  await page();
  document.body.dataset['ready'] = 'true';
}

run().catch((e: unknown) => {
  new Feedback().error(e);
  document.body.dataset['ready'] = 'error';
});
