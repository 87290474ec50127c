// Name and text pools for generated tenants: people (some with non-ASCII names, as real tenants have), companies,
// subjects and sentences. Everything is picked with a seeded PRNG, so output is a pure function of the seed.
import { pick } from './seeded';

export const FIRST_NAMES = [
  'Adele',
  'Bob',
  'Chen',
  'Diego',
  'Eun-ji',
  'Fatima',
  'Grace',
  'Hiro',
  'Inès',
  'Jonas',
  'Kemal',
  'Lena',
  'Mateo',
  'Nadia',
  'Olu',
  'Priya',
  'Quentin',
  'Rosa',
  'Søren',
  'Tamar',
  'Ulla',
  'Viktor',
  'Wen',
  'Xavier',
  'Yara',
  'Zoë',
];
export const LAST_NAMES = [
  'Vance',
  'Kelly',
  'Wang',
  'Siciliani',
  'Park',
  'Khan',
  'Hopper',
  'Tanaka',
  'Moreau',
  'Berg',
  'Yilmaz',
  'Fischer',
  'Rossi',
  'Haddad',
  'Adeyemi',
  'Nair',
  'Østergaard',
  'Müller',
  'Novák',
  'García',
];
export const DEPARTMENTS = ['Sales', 'Finance', 'Engineering', 'Legal', 'Marketing', 'Operations', 'HR'];
export const JOB_TITLES = [
  'Account Manager',
  'Controller',
  'Software Engineer',
  'Counsel',
  'Brand Lead',
  'Operations Analyst',
  'Recruiter',
  'Director',
];
export const CITIES = ['Seattle', 'München', 'São Paulo', 'Kraków', 'Osaka', 'Lyon', 'Nairobi'];
export const EXTERNAL = [
  { name: 'Zoë Müller', address: 'zoe.mueller@fabrikam.example' },
  { name: '王芳', address: 'wang.fang@northwind.example' },
  { name: 'José Núñez', address: 'jose.nunez@tailspin.example' },
  { name: 'Anna Kowalska', address: 'anna.kowalska@adatum.example' },
  { name: 'Fabrikam Billing', address: 'billing@fabrikam.example' },
];

/** First name of user i: the first names in order, then with a number (adele, bob, ..., adele2, ...). */
export const firstNameOf = (i: number): string => FIRST_NAMES[i % FIRST_NAMES.length];
export const lastNameOf = (i: number): string => LAST_NAMES[(i * 7) % LAST_NAMES.length];

/** ASCII local part for an e-mail address (Inès → ines, Søren → soren, Eun-ji → eunji). */
export function mailNickname(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const WORDS = [
  'budget',
  'quarterly',
  'review',
  'migration',
  'contract',
  'roadmap',
  'invoice',
  'meeting',
  'design',
  'launch',
  'audit',
  'hiring',
  'customer',
  'renewal',
  'security',
  'backup',
  'planning',
  'report',
  'forecast',
  'onboarding',
];
const SUBJECTS = [
  'Re: {w} for {W}',
  '{W} update',
  'Action needed: {w}',
  'Fwd: {W} notes',
  'Über die {w} – Zusammenfassung',
  '会议: {w}',
  'Quick question about the {w}',
  '{W} ✔ approved',
  'RE: {W} — next steps',
  'Réunion {w} (jeudi)',
];
const EVENT_SUBJECTS = [
  'Weekly sync',
  'Quarterly review',
  'Customer call',
  '1:1',
  'Planning — Q3',
  'Team lunch 🍜',
  'Interview',
  'Budget review',
];

export function subjectFor(r: () => number): string {
  const w = pick(r, WORDS);
  return pick(r, SUBJECTS)
    .replace('{w}', w)
    .replace('{W}', w[0].toUpperCase() + w.slice(1));
}

export const eventSubjectFor = (r: () => number): string => pick(r, EVENT_SUBJECTS);

export function sentencesFor(r: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 6 + Math.floor(r() * 10);
    const words = Array.from({ length: n }, () => pick(r, WORDS));
    out.push(`${words[0][0].toUpperCase()}${words.join(' ').slice(1)}.`);
  }
  return out.join(' ');
}
