// The properties (and relationships) of the Graph v1.0 types whose $select the emulator validates, as the v1.0
// metadata declares them (read from microsoftgraph/msgraph-typescript-typings, microsoft-graph.d.ts, January 2026,
// base types included). An unknown name is a 400 as in Graph, so a product that selects a beta-only or misspelt
// property fails here as it would against the service instead of getting the property silently left out.
import { GraphError } from './errors';
import { option } from './odata';
import type { GraphContext } from './router';

export type SelectableType = 'user' | 'group' | 'message' | 'event' | 'contact' | 'mailFolder' | 'driveItem' | 'site' | 'list' | 'chatMessage';

const PROPERTIES: Record<SelectableType, readonly string[]> = {
  user: [
    'id', 'deletedDateTime', 'aboutMe', 'accountEnabled', 'ageGroup', 'assignedLicenses', 'assignedPlans',
    'authorizationInfo', 'birthday', 'businessPhones', 'city', 'companyName', 'consentProvidedForMinor',
    'country', 'createdDateTime', 'creationType', 'customSecurityAttributes', 'department',
    'deviceEnrollmentLimit', 'displayName', 'employeeHireDate', 'employeeId', 'employeeLeaveDateTime',
    'employeeOrgData', 'employeeType', 'externalUserState', 'externalUserStateChangeDateTime', 'faxNumber',
    'givenName', 'hireDate', 'identities', 'imAddresses', 'interests', 'isManagementRestricted',
    'isResourceAccount', 'jobTitle', 'lastPasswordChangeDateTime', 'legalAgeGroupClassification',
    'licenseAssignmentStates', 'mail', 'mailboxSettings', 'mailNickname', 'mobilePhone', 'mySite',
    'officeLocation', 'onPremisesDistinguishedName', 'onPremisesDomainName', 'onPremisesExtensionAttributes',
    'onPremisesImmutableId', 'onPremisesLastSyncDateTime', 'onPremisesProvisioningErrors',
    'onPremisesSamAccountName', 'onPremisesSecurityIdentifier', 'onPremisesSyncEnabled',
    'onPremisesUserPrincipalName', 'otherMails', 'passwordPolicies', 'passwordProfile', 'pastProjects',
    'postalCode', 'preferredDataLocation', 'preferredLanguage', 'preferredName', 'print', 'provisionedPlans',
    'proxyAddresses', 'responsibilities', 'schools', 'securityIdentifier', 'serviceProvisioningErrors',
    'showInAddressList', 'signInActivity', 'signInSessionsValidFromDateTime', 'skills', 'state', 'streetAddress',
    'surname', 'usageLocation', 'userPrincipalName', 'userType', 'activities', 'agreementAcceptances',
    'appRoleAssignments', 'authentication', 'calendar', 'calendarGroups', 'calendars', 'calendarView', 'chats',
    'cloudClipboard', 'cloudPCs', 'contactFolders', 'contacts', 'createdObjects', 'dataSecurityAndGovernance',
    'deviceManagementTroubleshootingEvents', 'directReports', 'drive', 'drives', 'employeeExperience', 'events',
    'extensions', 'followedSites', 'inferenceClassification', 'insights', 'joinedTeams', 'licenseDetails',
    'mailFolders', 'managedAppRegistrations', 'managedDevices', 'manager', 'memberOf', 'messages',
    'oauth2PermissionGrants', 'onenote', 'onlineMeetings', 'outlook', 'ownedDevices', 'ownedObjects', 'people',
    'permissionGrants', 'photo', 'photos', 'planner', 'presence', 'registeredDevices', 'scopedRoleMemberOf',
    'settings', 'solutions', 'sponsors', 'teamwork', 'todo', 'transitiveMemberOf'
  ],
  group: [
    'id', 'deletedDateTime', 'allowExternalSenders', 'assignedLabels', 'assignedLicenses',
    'autoSubscribeNewMembers', 'classification', 'createdDateTime', 'description', 'displayName',
    'expirationDateTime', 'groupTypes', 'hasMembersWithLicenseErrors', 'hideFromAddressLists',
    'hideFromOutlookClients', 'isArchived', 'isAssignableToRole', 'isManagementRestricted', 'isSubscribedByMail',
    'licenseProcessingState', 'mail', 'mailEnabled', 'mailNickname', 'membershipRule',
    'membershipRuleProcessingState', 'onPremisesDomainName', 'onPremisesLastSyncDateTime',
    'onPremisesNetBiosName', 'onPremisesProvisioningErrors', 'onPremisesSamAccountName',
    'onPremisesSecurityIdentifier', 'onPremisesSyncEnabled', 'preferredDataLocation', 'preferredLanguage',
    'proxyAddresses', 'renewedDateTime', 'securityEnabled', 'securityIdentifier', 'serviceProvisioningErrors',
    'theme', 'uniqueName', 'unseenCount', 'visibility', 'acceptedSenders', 'appRoleAssignments', 'calendar',
    'calendarView', 'conversations', 'createdOnBehalfOf', 'drive', 'drives', 'events', 'extensions',
    'groupLifecyclePolicies', 'memberOf', 'members', 'membersWithLicenseErrors', 'onenote',
    'onPremisesSyncBehavior', 'owners', 'permissionGrants', 'photo', 'photos', 'planner', 'rejectedSenders',
    'settings', 'sites', 'team', 'threads', 'transitiveMemberOf', 'transitiveMembers'
  ],
  message: [
    'id', 'categories', 'changeKey', 'createdDateTime', 'lastModifiedDateTime', 'bccRecipients', 'body',
    'bodyPreview', 'ccRecipients', 'conversationId', 'conversationIndex', 'flag', 'from', 'hasAttachments',
    'importance', 'inferenceClassification', 'internetMessageHeaders', 'internetMessageId',
    'isDeliveryReceiptRequested', 'isDraft', 'isRead', 'isReadReceiptRequested', 'parentFolderId',
    'receivedDateTime', 'replyTo', 'sender', 'sentDateTime', 'subject', 'toRecipients', 'uniqueBody', 'webLink',
    'attachments', 'extensions', 'multiValueExtendedProperties', 'singleValueExtendedProperties'
  ],
  event: [
    'id', 'categories', 'changeKey', 'createdDateTime', 'lastModifiedDateTime', 'allowNewTimeProposals',
    'attendees', 'body', 'bodyPreview', 'cancelledOccurrences', 'end', 'hasAttachments', 'hideAttendees',
    'iCalUId', 'importance', 'isAllDay', 'isCancelled', 'isDraft', 'isOnlineMeeting', 'isOrganizer',
    'isReminderOn', 'location', 'locations', 'onlineMeeting', 'onlineMeetingProvider', 'onlineMeetingUrl',
    'organizer', 'originalEndTimeZone', 'originalStart', 'originalStartTimeZone', 'recurrence',
    'reminderMinutesBeforeStart', 'responseRequested', 'responseStatus', 'sensitivity', 'seriesMasterId',
    'showAs', 'start', 'subject', 'transactionId', 'type', 'webLink', 'attachments', 'calendar',
    'exceptionOccurrences', 'extensions', 'instances', 'multiValueExtendedProperties',
    'singleValueExtendedProperties'
  ],
  contact: [
    'id', 'categories', 'changeKey', 'createdDateTime', 'lastModifiedDateTime', 'assistantName', 'birthday',
    'businessAddress', 'businessHomePage', 'businessPhones', 'children', 'companyName', 'department',
    'displayName', 'emailAddresses', 'fileAs', 'generation', 'givenName', 'homeAddress', 'homePhones',
    'imAddresses', 'initials', 'jobTitle', 'manager', 'middleName', 'mobilePhone', 'nickName', 'officeLocation',
    'otherAddress', 'parentFolderId', 'personalNotes', 'profession', 'spouseName', 'surname', 'title',
    'yomiCompanyName', 'yomiGivenName', 'yomiSurname', 'extensions', 'multiValueExtendedProperties', 'photo',
    'singleValueExtendedProperties'
  ],
  driveItem: [
    'id', 'createdBy', 'createdDateTime', 'description', 'eTag', 'lastModifiedBy', 'lastModifiedDateTime',
    'name', 'parentReference', 'webUrl', 'createdByUser', 'lastModifiedByUser', 'audio', 'bundle', 'content',
    'cTag', 'deleted', 'file', 'fileSystemInfo', 'folder', 'image', 'location', 'malware', 'package',
    'pendingOperations', 'photo', 'publication', 'remoteItem', 'root', 'searchResult', 'shared', 'sharepointIds',
    'size', 'specialFolder', 'video', 'webDavUrl', 'analytics', 'children', 'listItem', 'permissions',
    'retentionLabel', 'subscriptions', 'thumbnails', 'versions', 'workbook'
  ],
  site: [
    'id', 'createdBy', 'createdDateTime', 'description', 'eTag', 'lastModifiedBy', 'lastModifiedDateTime',
    'name', 'parentReference', 'webUrl', 'createdByUser', 'lastModifiedByUser', 'displayName', 'error',
    'isPersonalSite', 'root', 'sharepointIds', 'siteCollection', 'analytics', 'columns', 'contentTypes', 'drive',
    'drives', 'externalColumns', 'items', 'lists', 'onenote', 'operations', 'pages', 'permissions', 'sites',
    'termStore', 'termStores'
  ],
  list: [
    'id', 'createdBy', 'createdDateTime', 'description', 'eTag', 'lastModifiedBy', 'lastModifiedDateTime',
    'name', 'parentReference', 'webUrl', 'createdByUser', 'lastModifiedByUser', 'displayName', 'list',
    'sharepointIds', 'system', 'columns', 'contentTypes', 'drive', 'items', 'operations', 'subscriptions'
  ],
  chatMessage: [
    'id', 'attachments', 'body', 'channelIdentity', 'chatId', 'createdDateTime', 'deletedDateTime', 'etag',
    'eventDetail', 'from', 'importance', 'lastEditedDateTime', 'lastModifiedDateTime', 'locale', 'mentions',
    'messageHistory', 'messageType', 'policyViolation', 'reactions', 'replyToId', 'subject', 'summary', 'webUrl',
    'hostedContents', 'replies'
  ],
  mailFolder: [
    'id', 'childFolderCount', 'displayName', 'isHidden', 'parentFolderId', 'totalItemCount', 'unreadItemCount',
    'childFolders', 'messageRules', 'messages', 'multiValueExtendedProperties', 'singleValueExtendedProperties'
  ],};

/**
 * Names Graph takes in $select beyond the metadata: groups' resourceProvisioningOptions (the v1.0 way to find teams,
 * /groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team'), returns and selects it though v1.0 metadata lacks it).
 */
const EXTRA: Partial<Record<SelectableType, readonly string[]>> = { group: ['resourceProvisioningOptions'] };

const known = new Map(Object.entries(PROPERTIES).map(([type, names]) => [type, new Set([...names, ...(EXTRA[type as SelectableType] ?? [])].map((n) => n.toLowerCase()))]));

/** Outlook parses the URI itself and answers with its own code; other workloads get Graph's OData layer's answer. */
const OUTLOOK: ReadonlySet<SelectableType> = new Set(['message', 'event', 'contact', 'mailFolder']);

/** `$select` as a list of names, each checked against the type (case-insensitively, as Graph matches them). */
export function selectFor(ctx: Pick<GraphContext, 'query'>, type: SelectableType): string[] | undefined {
  const text = option(ctx.query, '$select');
  if (!text) return undefined;
  const names = text.split(',').map((x) => x.trim()).filter(Boolean);
  // `*` selects everything; instance annotations (@microsoft.graph.downloadUrl) are not properties.
  const unknown = names.find((n) => n !== '*' && !n.startsWith('@') && !known.get(type)!.has(n.toLowerCase()));
  if (unknown !== undefined) throw unknownProperty(type, unknown);
  return names;
}

export function unknownProperty(type: SelectableType, name: string): GraphError {
  const message = `Could not find a property named '${name}' on type 'microsoft.graph.${type}'.`;
  return OUTLOOK.has(type)
    ? new GraphError(400, 'RequestBroker--ParseUri', message)
    : new GraphError(400, 'BadRequest', `Parsing OData Select and Expand failed: ${message}`);
}
