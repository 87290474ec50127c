// Every HTTP operation of the product, described once: the OpenAPI document is built from this list and a test
// checks it against the routes the app registers, so neither can drift from the other.
import { z } from 'zod';
import { contentQuery, itemsQuery, listQuery, pointsQuery, searchQuery } from '../browse/browse-queries';
import { accountInput, jobInput, repositoryInput } from '../inventory/schemas';
import { restoreRequest, selection } from '../restore/restore-request';
import type { ApiOperation } from './operation';
import { differencePageQuery, differenceRequest } from '../difference/difference-request';
import { grantInput } from '../access/grants';
import { blobExportRequest } from '../export/export-request';
import { preflightQuery } from '../preflight/account-preflight';
import { preflightReport } from '../preflight/report';

const R = 'Backup.Reader' as const;
const A = 'Backup.Administrator' as const;
const E = {
  400: 'invalid input; the message names each bad field',
  401: 'no or invalid bearer token',
  403: 'the caller lacks the role (an app role, or a grant on this account)',
  413: 'the body is larger than 4 MiB',
};
const NF = { 404: 'no such account, job, item or recovery point in this account' };
const ITEM = '/accounts/{accountId}/protected-items/{itemId}';
const POINT = `${ITEM}/recovery-points/{seq}`;

export const API_OPERATIONS: ApiOperation[] = [
  { id: 'health', method: 'GET', path: '/health', summary: 'Liveness probe', responses: { 200: 'the app answers' } },
  { id: 'openApi', method: 'GET', path: '/openapi.json', summary: 'This document', responses: { 200: 'OpenAPI 3.1' } },
  {
    id: 'accountsCreate',
    method: 'POST',
    path: '/accounts',
    summary: 'Add a Microsoft 365 account (a reference to its secret or certificate, never the value)',
    role: A,
    access: 'global',
    body: accountInput,
    responses: { 201: 'created', ...E },
  },
  {
    id: 'accountsList',
    method: 'GET',
    path: '/accounts',
    summary:
      'List the accounts the caller may read (all of them with an app role, else those granted to it or its groups)',
    role: R,
    access: 'listing',
    responses: { 200: 'accounts', ...E },
  },
  {
    id: 'accountsGet',
    method: 'GET',
    path: '/accounts/{accountId}',
    summary: 'One account',
    role: R,
    responses: { 200: 'the account', ...E, ...NF },
  },
  {
    id: 'accountsPreflight',
    method: 'POST',
    path: '/accounts/{accountId}/preflight',
    summary:
      "Check the account's configuration (ids, credential, sign-in, permissions per workload) and keep the report with the account (audited)",
    role: A,
    query: preflightQuery,
    result: preflightReport,
    responses: {
      200: 'the report: ordered steps, each passed, warning, failed or skipped with cause and fix',
      ...E,
      ...NF,
    },
  },
  {
    id: 'repositoriesCreate',
    method: 'POST',
    path: '/accounts/{accountId}/repositories',
    summary: 'Register a backup repository (checked usable first)',
    role: A,
    body: repositoryInput,
    responses: { 201: 'registered', 409: 'a repository of that name exists', ...E, ...NF },
  },
  {
    id: 'repositoriesList',
    method: 'GET',
    path: '/accounts/{accountId}/repositories',
    summary: 'List repositories',
    role: R,
    responses: { 200: 'repositories', ...E, ...NF },
  },
  {
    id: 'jobsCreate',
    method: 'POST',
    path: '/accounts/{accountId}/jobs',
    summary: 'Create a backup job',
    role: A,
    body: jobInput.omit({ accountId: true }),
    responses: { 201: 'created', ...E, ...NF },
  },
  {
    id: 'jobsList',
    method: 'GET',
    path: '/accounts/{accountId}/jobs',
    summary: 'List backup jobs',
    role: R,
    responses: { 200: 'jobs', ...E, ...NF },
  },
  {
    id: 'jobsGet',
    method: 'GET',
    path: '/accounts/{accountId}/jobs/{jobId}',
    summary: 'One backup job',
    role: R,
    responses: { 200: 'the job', ...E, ...NF },
  },
  {
    id: 'jobsRun',
    method: 'POST',
    path: '/accounts/{accountId}/jobs/{jobId}/run',
    summary: 'Run a backup job now',
    role: A,
    responses: {
      202: 'started (audited): the body is the run, `Location` its run route (GET …/runs/{runId})',
      409: 'the job is already running (the message names the run, `Location` its route)',
      ...E,
      ...NF,
    },
  },
  {
    id: 'runsList',
    method: 'GET',
    path: '/accounts/{accountId}/jobs/{jobId}/runs',
    summary: 'Runs of a job: status, summary, alarms with cause and fix',
    role: R,
    responses: { 200: 'runs', ...E, ...NF },
  },
  {
    id: 'retentionStart',
    method: 'POST',
    path: '/accounts/{accountId}/retention-runs',
    summary:
      "Apply the jobs' retention now: prune recovery points, then collect content no version references (audited)",
    role: A,
    responses: {
      202: 'started; follow it with GET',
      409: 'a run of this account started within the same second (the message names it)',
      ...E,
      ...NF,
    },
  },
  {
    id: 'retentionRunsList',
    method: 'GET',
    path: '/accounts/{accountId}/retention-runs',
    summary: 'Retention runs: what was pruned, freed, skipped',
    role: R,
    responses: { 200: 'runs', ...E, ...NF },
  },
  {
    id: 'retentionRunsGet',
    method: 'GET',
    path: '/accounts/{accountId}/retention-runs/{runId}',
    summary: "A retention run with each item's report: points kept (by which rule), marked, removed, skipped and why",
    role: R,
    responses: { 200: 'the run', ...E, 404: 'no such run' },
  },
  {
    id: 'accountHold',
    method: 'PUT',
    path: '/accounts/{accountId}/hold',
    summary: 'Put the account on litigation hold: retention prunes none of its points until released (audited)',
    role: A,
    body: z.object({ reason: z.string() }),
    responses: { 200: 'the hold', ...E, ...NF },
  },
  {
    id: 'accountHoldRelease',
    method: 'DELETE',
    path: '/accounts/{accountId}/hold',
    summary: "Release the account's litigation hold (audited)",
    role: A,
    responses: { 200: 'no hold', ...E, ...NF },
  },
  {
    id: 'protectedItemHold',
    method: 'PUT',
    path: `${ITEM}/hold`,
    summary: 'Put one protected item on litigation hold (audited)',
    role: A,
    body: z.object({ reason: z.string() }),
    responses: { 200: 'the hold', ...E, ...NF },
  },
  {
    id: 'protectedItemHoldRelease',
    method: 'DELETE',
    path: `${ITEM}/hold`,
    summary: "Release a protected item's litigation hold (audited)",
    role: A,
    responses: { 200: 'no hold', ...E, ...NF },
  },
  {
    id: 'runsGet',
    method: 'GET',
    path: '/accounts/{accountId}/jobs/{jobId}/runs/{runId}',
    summary: 'One run: status (running, success, warning, failed, stopped), summary and alarms with cause and fix',
    role: R,
    responses: { 200: 'the run', ...E, 404: 'no such account, job or run' },
  },
  {
    id: 'protectedItemsList',
    method: 'GET',
    path: '/accounts/{accountId}/protected-items',
    summary: 'Protected mailboxes and OneDrives',
    role: R,
    responses: { 200: 'items', ...E, ...NF },
  },
  {
    id: 'recoveryPointsList',
    method: 'GET',
    path: `${ITEM}/recovery-points`,
    summary: 'Recovery points of a protected item, optionally taken between `from` and `to`',
    role: R,
    query: pointsQuery,
    responses: { 200: 'recovery points', ...E, ...NF },
  },
  {
    id: 'pointFolders',
    method: 'GET',
    path: `${POINT}/folders`,
    summary:
      'Folder tree of a recovery point (mail folders with their role, contact and drive folders, SharePoint lists)',
    role: R,
    responses: { 200: 'folders', ...E, 404: 'not a valid recovery point' },
  },
  {
    id: 'pointItems',
    method: 'GET',
    path: `${POINT}/items`,
    summary: 'Items and subfolders of a folder at a recovery point, paged',
    role: R,
    query: itemsQuery,
    responses: { 200: 'a page; `continuation` asks for the next', ...E, 404: 'not a valid recovery point' },
  },
  {
    id: 'itemSearch',
    method: 'GET',
    path: `${ITEM}/search`,
    summary:
      'Search messages of one recovery point or a range by subject, sender or recipient name or address and body text, and SharePoint list items by field values: words and word beginnings, case-insensitive',
    role: R,
    query: searchQuery,
    responses: { 200: 'a page of versions, each with the points holding it', ...E, ...NF },
  },
  {
    id: 'itemPreview',
    method: 'GET',
    path: `${POINT}/preview`,
    summary:
      'Preview an item: message headers, text and sanitized HTML body (scripts, handlers, forms and remote loads removed; inline images as data: URIs; remote ones in data-blocked-src), attachment list; other kinds: their properties',
    role: R,
    query: contentQuery,
    responses: {
      200: 'the preview',
      ...E,
      404: 'not a valid recovery point, or the item is not in it',
      422: "the message is beyond the MIME parser's limits (download it instead)",
    },
  },
  {
    id: 'itemContent',
    method: 'GET',
    path: `${POINT}/content`,
    summary: 'Download an item: .eml for mail, original bytes for files (audited)',
    role: A,
    query: contentQuery,
    produces: 'message/rfc822, application/octet-stream',
    responses: { 200: 'the exact backed-up bytes', ...E, 404: 'not a valid recovery point, or the item is not in it' },
  },
  {
    id: 'pointListDownload',
    method: 'GET',
    path: `${POINT}/lists/{listId}`,
    summary:
      'Download a SharePoint list as it was at a recovery point: CSV (RFC 4180, a header row of its columns) or JSON (an array of items), columns from the schema the backup recorded (audited)',
    role: A,
    query: listQuery,
    produces: 'text/csv, application/json',
    responses: { 200: 'the list, streamed', ...E, 404: 'not a valid recovery point, or no such list in it' },
  },
  {
    id: 'pointExport',
    method: 'POST',
    path: `${POINT}/export`,
    summary: 'Export folders and items of a recovery point as a streamed zip (audited)',
    role: A,
    body: selection,
    produces: 'application/zip',
    responses: { 200: 'the zip, streamed', ...E, 404: 'not a valid recovery point' },
  },
  {
    id: 'exportsStart',
    method: 'POST',
    path: `${POINT}/exports`,
    summary:
      'Export folders and items of a recovery point into Blob Storage as a zip, by a job (audited): for selections too large for one streamed response',
    role: A,
    body: blobExportRequest,
    responses: {
      202: 'started; `Location` names the export job (GET /accounts/{accountId}/exports/{exportId})',
      ...E,
      404: 'not a valid recovery point',
    },
  },
  {
    id: 'exportsGet',
    method: 'GET',
    path: '/accounts/{accountId}/exports/{exportId}',
    summary:
      'An export job: status, entries and bytes written; once completed, a read link to the zip valid one hour, minted anew (and audited) at each read',
    role: A,
    responses: {
      200: 'the job (with `download.url` and `download.expiresAt` once completed)',
      ...E,
      404: 'unknown export (kept 5 days after it ends)',
    },
  },
  {
    id: 'restoresStart',
    method: 'POST',
    path: '/accounts/{accountId}/restores',
    summary: 'Start a restore job (audited)',
    role: A,
    body: restoreRequest,
    responses: {
      202: 'started; follow it with GET',
      409: 'another restore or difference job runs for this account (the message names it)',
      ...E,
      404: 'unknown account or protected item, or not a valid recovery point',
    },
  },
  {
    id: 'restoresList',
    method: 'GET',
    path: '/accounts/{accountId}/restores',
    summary: 'Restore jobs of the last 5 days',
    role: R,
    responses: { 200: 'jobs', ...E, ...NF },
  },
  {
    id: 'restoresGet',
    method: 'GET',
    path: '/accounts/{accountId}/restores/{restoreId}',
    summary: 'A restore job: status, counts, failed items with reasons',
    role: R,
    responses: { 200: 'the job', ...E, 404: 'unknown job (records are kept 5 days after they end)' },
  },
  {
    id: 'restoresCancel',
    method: 'POST',
    path: '/accounts/{accountId}/restores/{restoreId}/cancel',
    summary: 'Ask a restore job to stop (best-effort; audited)',
    role: A,
    responses: { 202: 'cancellation requested, or the job had already ended', ...E, 404: 'unknown job' },
  },
  {
    id: 'differencesStart',
    method: 'POST',
    path: '/accounts/{accountId}/difference-reports',
    summary: 'Start a difference report between two recovery points of a protected item',
    role: R,
    body: differenceRequest,
    responses: {
      202: 'started',
      409: 'another restore or difference job runs for this account',
      ...E,
      404: 'unknown protected item, or not a valid recovery point',
    },
  },
  {
    id: 'differencesList',
    method: 'GET',
    path: '/accounts/{accountId}/difference-reports',
    summary: 'Difference reports of the last 5 days',
    role: R,
    responses: { 200: 'reports', ...E, ...NF },
  },
  {
    id: 'differencesGet',
    method: 'GET',
    path: '/accounts/{accountId}/difference-reports/{reportId}',
    summary:
      'A difference report: status, counts and a page of its entries (removed and changed items, with the properties that changed, then added ones)',
    role: R,
    query: differencePageQuery,
    responses: { 200: 'the report', ...E, 404: 'unknown report (kept 5 days after it ends)' },
  },
  {
    id: 'grantsList',
    method: 'GET',
    path: '/accounts/{accountId}/grants',
    summary:
      'Per-account grants: users, groups and service principals (by Entra object id) that may read or administer this account only',
    role: A,
    access: 'global',
    responses: { 200: 'grants', ...E, ...NF },
  },
  {
    id: 'grantsSet',
    method: 'PUT',
    path: '/accounts/{accountId}/grants/{principalId}',
    summary:
      'Grant a user, group or service principal (Entra object id) Reader or Administrator on this account, replacing its grant (audited)',
    role: A,
    access: 'global',
    body: grantInput,
    responses: { 200: 'replaced', 201: 'granted', ...E, ...NF },
  },
  {
    id: 'grantsRemove',
    method: 'DELETE',
    path: '/accounts/{accountId}/grants/{principalId}',
    summary: "Withdraw a principal's grant on this account (audited)",
    role: A,
    access: 'global',
    responses: { 204: 'withdrawn', ...E, 404: 'no such account, or the principal holds no grant on it' },
  },
  {
    id: 'auditList',
    method: 'GET',
    path: '/accounts/{accountId}/audit',
    summary: 'Who restored, exported or downloaded what, who changed grants and who was refused, when, from where',
    role: A,
    responses: { 200: 'audit records, newest first', ...E, ...NF },
  },
];

/** Used by the document: a generic error body. */
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
