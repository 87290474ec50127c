// What can be known wrong before anything is sent: ids that are not of the form Entra ID expects, a secret's ID
// stored instead of its value, a certificate without its private key, too short a key, out of its validity or not
// the one the administrator named. Pure; certificates are read by node:crypto, never parsed by hand.
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { PreflightStep, step } from './report';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GUID_FORM = '12345678-1234-1234-1234-1234567890AB';
const DOMAIN = /^(?=.{4,253}$)([a-z0-9-]+\.)+[a-z]{2,}$/i;
/** A certificate about to expire is renewed before it stops backups. */
const EXPIRY_WARNING_DAYS = 30;
const MIN_RSA_BITS = 2048;

/** What a GUID-like value that is not a GUID most likely is, to say how to correct it. */
function notGuidHint(value: string): string {
  const v = value.trim();
  if (v !== value) return 'it has spaces or a line break around it';
  if (/^\{.*\}$/.test(v) && GUID.test(v.slice(1, -1))) return 'it is wrapped in braces';
  if (/^[0-9a-f]{32}$/i.test(v)) return 'its hyphens are missing';
  if (/^https?:\/\//i.test(v)) return 'it is a URL';
  return 'it is not 32 hexadecimal digits in groups of 8-4-4-4-12';
}

export function checkTenantId(tenantId: string): PreflightStep {
  const title = 'Tenant ID is a GUID or the tenant domain';
  if (GUID.test(tenantId)) return step('input.tenantId', title, 'passed', { detail: `Tenant ${tenantId}.` });
  if (DOMAIN.test(tenantId) && !/\.sharepoint\.com$/i.test(tenantId))
    return step('input.tenantId', title, 'passed', { detail: `Tenant domain ${tenantId}.` });
  return step('input.tenantId', title, 'failed', {
    code: 'input.tenantId',
    cause: `The Tenant ID is neither a GUID nor a verified domain: ${/\.sharepoint\.com$/i.test(tenantId) ? 'a SharePoint host name is not the tenant' : notGuidHint(tenantId)}. A valid GUID has the form ${GUID_FORM}.`,
    fix: 'Copy the Tenant ID (Directory ID) from Microsoft Entra admin center → Identity → Overview, or use the domain ending in .onmicrosoft.com.',
  });
}

export function checkClientId(clientId: string, tenantId: string): PreflightStep {
  const title = 'Client ID is a GUID';
  if (!GUID.test(clientId))
    return step('input.clientId', title, 'failed', {
      code: 'input.clientId',
      cause: `Client ID is not a GUID: ${notGuidHint(clientId)}. A valid GUID has the form ${GUID_FORM}.`,
      fix: "Copy the Application (client) ID from the app registration's Overview page in Microsoft Entra admin center.",
    });
  if (clientId.toLowerCase() === tenantId.toLowerCase())
    return step('input.clientId', title, 'failed', {
      code: 'input.clientId',
      cause: 'The Client ID is the Tenant ID: the Directory (tenant) ID was copied into both fields.',
      fix: "Copy the Application (client) ID from the app registration's Overview page; it is the line above the Directory (tenant) ID.",
    });
  return step('input.clientId', title, 'passed', { detail: `Client ${clientId}.` });
}

/** A client secret's value as read from the secret store. */
export function checkSecretValue(value: string, secretName: string): PreflightStep {
  const title = `Client secret '${secretName}' looks like a secret's value`;
  const fail = (cause: string, fix: string): PreflightStep =>
    step('input.secret', title, 'failed', { code: 'input.secret', cause, fix });
  if (!value.trim())
    return fail(
      `The secret '${secretName}' is empty.`,
      "Create a client secret under the app registration's Certificates & secrets and store its Value.",
    );
  if (GUID.test(value.trim()))
    return fail(
      `The secret '${secretName}' holds a GUID: that is the client secret's ID (Secret ID), not its Value; Entra ID would answer AADSTS7000215.`,
      "Store the secret's Value, shown only once when the secret is created; if it is lost, create a new secret under Certificates & secrets and store its Value.",
    );
  if (/-----BEGIN [A-Z ]+-----/.test(value))
    return fail(
      `The secret '${secretName}' holds a PEM certificate or key, not a client secret.`,
      "Register the account with credential type 'certificate' naming this secret, or store the client secret's Value here.",
    );
  if (value !== value.trim())
    return fail(
      `The secret '${secretName}' has spaces or a line break before or after it, which Entra ID takes as part of the secret.`,
      'Store the value again without the surrounding whitespace (e.g. `az keyvault secret set --value` rather than from a file ending in a newline).',
    );
  return step('input.secret', title, 'passed', {
    detail: `Secret '${secretName}' is set (${value.length} characters).`,
  });
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PEM_KEY =
  /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

const normalisedThumbprint = (t: string): string => t.replace(/[\s:]/g, '').toUpperCase();

/**
 * A certificate credential: one PEM holding the certificate and its private key (as Key Vault exports a PEM
 * certificate). `thumbprint`: the one shown in the app registration, SHA-1 or SHA-256, when the caller gives it.
 */
export function checkCertificate(pem: string, secretName: string, now: Date, thumbprint?: string): PreflightStep[] {
  const formatTitle = `Certificate '${secretName}' is a PEM with its private key`;
  const fail = (cause: string, fix: string): PreflightStep[] => [
    step('input.certificate', formatTitle, 'failed', { code: 'input.certificate', cause, fix }),
  ];
  const certPem = PEM_CERT.exec(pem)?.[0];
  const keyPem = PEM_KEY.exec(pem)?.[0];
  if (!certPem)
    return fail(
      `The secret '${secretName}' holds no PEM certificate (a PFX or DER file must be converted).`,
      "Import the certificate into Key Vault with content type PEM (or store a PEM file holding '-----BEGIN CERTIFICATE-----' and the private key).",
    );
  if (!keyPem)
    return fail(
      `The secret '${secretName}' holds the certificate but not its private key, which signs the sign-in assertion.`,
      'Store the certificate with its private key (Key Vault: an exportable key, content type PEM); the app registration keeps only the public part.',
    );
  if (keyPem.includes('ENCRYPTED'))
    return fail(
      `The private key in '${secretName}' is encrypted with a passphrase the product does not have.`,
      'Store the key unencrypted in Key Vault (Key Vault protects it), e.g. `openssl pkey -in key.pem -out plain.pem`.',
    );
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
    key = createPrivateKey(keyPem);
  } catch (e) {
    return fail(
      `The PEM in '${secretName}' could not be read (${(e as Error).message}).`,
      'Export the certificate and key again as PEM.',
    );
  }
  const steps: PreflightStep[] = [
    step('input.certificate', formatTitle, 'passed', { detail: `Subject ${cert.subject.replace(/\n/g, ', ')}.` }),
  ];

  const keyTitle = `Certificate key is RSA of at least ${MIN_RSA_BITS} bits and matches the certificate`;
  const type = cert.publicKey.asymmetricKeyType;
  const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength;
  if (type !== 'rsa')
    steps.push(
      step('input.certificateKey', keyTitle, 'failed', {
        code: 'input.certificateKey',
        cause: `The certificate's key is ${type?.toUpperCase() ?? 'of an unknown type'}; Entra ID client assertions are signed with RSA.`,
        fix: `Create an RSA certificate of ${MIN_RSA_BITS} bits or more and upload its public part to the app registration.`,
      }),
    );
  else if (!bits || bits < MIN_RSA_BITS)
    steps.push(
      step('input.certificateKey', keyTitle, 'failed', {
        code: 'input.certificateKey',
        cause: `The certificate used must have a key size of at least ${MIN_RSA_BITS} bits; this one has ${bits ?? 'an unknown number of'} bits.`,
        fix: `Create a certificate with an RSA key of ${MIN_RSA_BITS} bits or more, upload its public part to the app registration and store it with its key.`,
      }),
    );
  else if (!cert.checkPrivateKey(key))
    steps.push(
      step('input.certificateKey', keyTitle, 'failed', {
        code: 'input.certificateKey',
        cause: 'The private key in the PEM does not belong to its certificate.',
        fix: 'Store the certificate together with the private key it was created with.',
      }),
    );
  else steps.push(step('input.certificateKey', keyTitle, 'passed', { detail: `RSA ${bits} bits.` }));

  const validTitle = 'Certificate is within its validity period';
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  const daysLeft = Math.floor((to.getTime() - now.getTime()) / 86_400_000);
  const renew = `Create a new certificate, upload its public part under the app registration's Certificates & secrets and store it with its key under '${secretName}'.`;
  if (from > now)
    steps.push(
      step('input.certificateValidity', validTitle, 'failed', {
        code: 'input.certificateValidity',
        cause: `The certificate is not valid before ${from.toISOString()}; Entra ID refuses it until then (AADSTS700027).`,
        fix: "Wait until it becomes valid, or check this machine's clock and the certificate's issuing date.",
      }),
    );
  else if (to <= now)
    steps.push(
      step('input.certificateValidity', validTitle, 'failed', {
        code: 'input.certificateValidity',
        cause: `The certificate expired on ${to.toISOString()}; Entra ID refuses it (AADSTS700027).`,
        fix: renew,
      }),
    );
  else if (daysLeft < EXPIRY_WARNING_DAYS)
    steps.push(
      step('input.certificateValidity', validTitle, 'warning', {
        code: 'input.certificateValidity',
        cause: `The certificate expires on ${to.toISOString()}, in ${daysLeft} days; backups stop then.`,
        fix: renew,
      }),
    );
  else
    steps.push(step('input.certificateValidity', validTitle, 'passed', { detail: `Valid until ${to.toISOString()}.` }));

  const sha1 = normalisedThumbprint(cert.fingerprint);
  const sha256 = normalisedThumbprint(cert.fingerprint256);
  if (thumbprint !== undefined) {
    const title = 'Certificate thumbprint matches the one given';
    const given = normalisedThumbprint(thumbprint);
    steps.push(
      given === sha1 || given === sha256
        ? step('input.certificateThumbprint', title, 'passed', { detail: `Thumbprint ${given}.` })
        : step('input.certificateThumbprint', title, 'failed', {
            code: 'input.certificateThumbprint',
            cause: `The stored certificate's thumbprint is ${sha1} (SHA-1), not ${given}: it is another certificate than the one named.`,
            fix: "Store the certificate whose thumbprint the app registration's Certificates & secrets lists, or upload this one there.",
          }),
    );
  }
  return steps;
}
