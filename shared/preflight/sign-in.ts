// Signing in as the product does (msal-node through TokenProvider), with a provider of its own so the token is new
// (msal's shared cache would answer with one issued before a consent change), and each failure turned into its
// cause and fix by the same AADSTS table the backup alarms use. The token itself is read for its claims only.
import { classifyAuthFailure } from '../domain/alarms';
import { GraphAuthError } from '../graph/graph-errors';
import { TokenProvider, TokenProviderOptions } from '../graph/token-provider';
import { PreflightStep, step } from './report';

/** Entra ID tolerates five minutes of skew; past that, tokens and assertions built from this clock fail. */
const MAX_SKEW_S = 300;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SignInResult {
  steps: PreflightStep[];
  /** The token's application permissions; undefined when sign-in failed. */
  roles?: string[];
}

interface Claims {
  iat?: number;
  tid?: string;
  appid?: string;
  azp?: string;
  roles?: unknown;
}

const claimsOf = (token: string): Claims => {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Claims;
  } catch {
    return {};
  }
};

export async function signIn(opts: TokenProviderOptions, now: () => Date): Promise<SignInResult> {
  const title = 'Sign in to Microsoft Entra ID (app-only token for Microsoft Graph)';
  let token: string;
  try {
    token = await new TokenProvider(opts).token();
  } catch (e) {
    if (e instanceof GraphAuthError) {
      const alarm = classifyAuthFailure(e.aadsts ? `AADSTS${e.aadsts}` : e.message);
      return {
        steps: [
          step('auth.signIn', title, 'failed', {
            code: e.aadsts ? `AADSTS${e.aadsts}` : alarm.code,
            detail: e.message,
            cause: alarm.message,
            fix: alarm.fix,
          }),
        ],
      };
    }
    return {
      steps: [
        step('auth.signIn', title, 'failed', {
          code: 'auth.unreachable',
          cause: (e as Error).message,
          fix: `Check that this deployment can reach ${opts.authorityHost} over HTTPS (DNS, firewall, proxy), then try again.`,
        }),
      ],
    };
  }
  const claims = claimsOf(token);
  const steps: PreflightStep[] = [];
  const appId = claims.appid ?? claims.azp;
  const wrongTenant =
    GUID.test(opts.tenantId) && claims.tid && claims.tid.toLowerCase() !== opts.tenantId.toLowerCase();
  steps.push(
    wrongTenant || (appId && appId.toLowerCase() !== opts.clientId.toLowerCase())
      ? step('auth.signIn', title, 'failed', {
          code: 'auth.failed',
          cause: `Entra ID issued a token for tenant ${claims.tid} and application ${appId}, not for the account's.`,
          fix: 'Check the authority host the deployment is configured with (M365V_AUTHORITY_HOST) and the account ids.',
        })
      : step('auth.signIn', title, 'passed', { detail: `Token issued for tenant ${claims.tid ?? opts.tenantId}.` }),
  );
  const skew = claims.iat === undefined ? 0 : Math.round(now().getTime() / 1000 - claims.iat);
  steps.push(
    Math.abs(skew) > MAX_SKEW_S
      ? step('auth.clock', "This machine's clock agrees with Entra ID", 'warning', {
          code: 'auth.clockSkew',
          cause: `This machine's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} Entra ID's: certificate sign-ins (AADSTS700024) and token lifetimes go wrong past five minutes.`,
          fix: 'Synchronise the clock with a time server.',
        })
      : step('auth.clock', "This machine's clock agrees with Entra ID", 'passed', {
          detail: `Within ${Math.abs(skew)} s.`,
        }),
  );
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  return { steps, roles };
}
