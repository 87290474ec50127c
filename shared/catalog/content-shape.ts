// How a version's content looks outside the catalog, one rule per version kind, shared by downloads and exports:
// mail is its MIME (.eml), a file is itself under its own name and type, events and contacts are Graph's JSON.
import type { VersionDoc } from './version-doc';
import { textOf } from '../domain/text';

export interface ContentShape {
  /** The item's own name (subject, file name, display name), unsanitised: callers make it safe for their medium. */
  name: string;
  extension: '.eml' | '.json' | '';
  mimeType: string;
}

export function contentShape(doc: VersionDoc): ContentShape {
  const name = textOf([doc.props.subject, doc.props.name, doc.props.displayName, doc.props.topic], doc.itemId);
  // A group post is written as a message from its JSON and files (shared/export/post-content.ts).
  if (doc.kind === 'message' || (doc.kind === 'groupPost' && doc.props.attachment !== true))
    return { name, extension: '.eml', mimeType: 'message/rfc822' };
  if (doc.kind === 'driveItem' || doc.kind === 'groupPost') {
    const file = doc.props.file as { mimeType?: unknown } | undefined;
    return {
      name,
      extension: '',
      mimeType: textOf([file?.mimeType, doc.props.contentType], 'application/octet-stream'),
    };
  }
  return { name, extension: '.json', mimeType: 'application/json' };
}
