// Personal contacts: the default Contacts folder and child contact folders, contacts generated from the seed.
import { changeKeyOf, isoSeconds } from '../mail/message';
import { CITIES, FIRST_NAMES, LAST_NAMES, mailNickname } from '../tenant/names';
import { between, pick, rng } from '../tenant/seeded';

export interface ContactRecord {
  id: string;
  /** Set once the contact moved: the immutable id it was created with (tenant/ids.ts). */
  immutableId?: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  parentFolderId: string;
  birthday: string | null;
  fileAs: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  middleName: string | null;
  nickName: string | null;
  title: string | null;
  jobTitle: string | null;
  companyName: string | null;
  department: string | null;
  officeLocation: string | null;
  businessHomePage: string | null;
  personalNotes: string;
  mobilePhone: string | null;
  businessPhones: string[];
  homePhones: string[];
  imAddresses: string[];
  emailAddresses: Array<{ name: string; address: string }>;
  businessAddress: Record<string, string>;
  homeAddress: Record<string, string>;
  otherAddress: Record<string, string>;
  /** Single-value extended properties a client set, by id (never rendered; see extended-properties.ts). */
  extended?: Record<string, string>;
}

export interface ContactFolderRecord {
  id: string;
  displayName: string;
  parentFolderId: string;
}

const COMPANIES = [
  'Fabrikam',
  'Northwind Traders',
  'Tailspin Toys',
  'Adatum',
  'Litware',
  'Contoso Pharmaceuticals',
  'Wide World Importers',
];

export function generateContact(
  seed: string,
  ownerId: string,
  folderKey: string,
  index: number,
  id: string,
  parentFolderId: string,
  anchor: Date,
): ContactRecord {
  const key = `${seed}|${ownerId}|contact|${folderKey}|${index}`;
  const r = rng(key);
  const first = pick(r, FIRST_NAMES);
  const last = pick(r, LAST_NAMES);
  const company = pick(r, COMPANIES);
  const at = isoSeconds(anchor.getTime() - between(r, 30, 700) * 86_400_000);
  const address = `${mailNickname(first)}.${mailNickname(last)}@${mailNickname(company)}.example`;
  return {
    id,
    createdDateTime: at,
    lastModifiedDateTime: at,
    changeKey: changeKeyOf(key, 0),
    categories: r() < 0.2 ? ['Suppliers'] : [],
    parentFolderId,
    birthday: r() < 0.3 ? `19${between(r, 60, 99)}-0${between(r, 1, 9)}-1${between(r, 0, 9)}T11:59:00Z` : null,
    fileAs: `${last}, ${first}`,
    displayName: `${first} ${last}`,
    givenName: first,
    surname: last,
    middleName: null,
    nickName: null,
    title: null,
    jobTitle: pick(r, ['Buyer', 'CFO', 'Account Executive', 'Engineer']),
    companyName: company,
    department: null,
    officeLocation: null,
    businessHomePage: null,
    personalNotes: r() < 0.3 ? 'Met at the Ü-Conference 2025.' : '',
    mobilePhone: `+49 151 ${between(r, 1000000, 9999999)}`,
    businessPhones: [`+1 206 555 ${between(r, 1000, 9999)}`],
    homePhones: [],
    imAddresses: [],
    emailAddresses: [{ name: `${first} ${last}`, address }],
    businessAddress: { city: pick(r, CITIES), countryOrRegion: 'DE' },
    homeAddress: {},
    otherAddress: {},
  };
}
