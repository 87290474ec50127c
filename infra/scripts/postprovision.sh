#!/bin/sh
# Next steps after `azd provision`: what Azure cannot do for you in another tenant (Microsoft 365 consent).
cat <<TEXT

m365-vault is deployed. To protect a Microsoft 365 tenant:

1. In that tenant's Microsoft Entra admin center, register an application (or reuse one) and grant it these
   Microsoft Graph *application* permissions with admin consent:
     backup : User.Read.All, GroupMember.Read.All, Mail.Read, Calendars.Read, Contacts.Read, Files.Read.All, Sites.Read.All, Group-Conversation.Read.All
     restore: Mail.ReadWrite, Calendars.ReadWrite, Contacts.ReadWrite, Files.ReadWrite.All, Sites.ReadWrite.All
     reports: Mail.Send (only to e-mail run reports from a tenant mailbox)
2. Store its client secret, or its certificate with the private key (PEM), in Key Vault ${M365V_KEYVAULT_URL:-<see outputs>}:
     az keyvault secret set --vault-name <vault> --name contoso-backup --file secret.txt
     az keyvault certificate import --vault-name <vault> --name contoso-backup --file contoso.pem
   (the deploying user holds Key Vault Secrets Officer and Certificates Officer there).
3. The API's own app registration is ${M365V_API_AUDIENCE:-<M365V_API_AUDIENCE>} (made by the preprovision hook;
   you are Backup.Administrator). Give others Backup.Reader or Backup.Administrator in Entra (Enterprise
   applications > m365-vault-api-<environment> > Users and groups); operators of one account get a grant instead:
   PUT /api/accounts/<account>/grants/<object id> (README, Roles per account).
4. Add the account and a job through the API at ${AZURE_FUNCTION_URL:-<function url>}/api (see README).
TEXT
