import { type HelpRequest, HelpRequestStatus as S } from '@nuanyang/proto/nuanyang/intake/v1/intake';

/** Which status may follow which. Rejected, duplicate, fulfilled and cancelled are final. */
const NEXT: Record<S, readonly S[]> = {
  [S.HELP_REQUEST_STATUS_UNSPECIFIED]: [],
  [S.HELP_REQUEST_STATUS_RECEIVED]: [
    S.HELP_REQUEST_STATUS_VERIFIED,
    S.HELP_REQUEST_STATUS_REJECTED,
    S.HELP_REQUEST_STATUS_DUPLICATE,
    S.HELP_REQUEST_STATUS_UNREACHABLE,
    S.HELP_REQUEST_STATUS_CANCELLED,
  ],
  // A requester who could not be reached may call back later.
  [S.HELP_REQUEST_STATUS_UNREACHABLE]: [
    S.HELP_REQUEST_STATUS_VERIFIED,
    S.HELP_REQUEST_STATUS_REJECTED,
    S.HELP_REQUEST_STATUS_DUPLICATE,
    S.HELP_REQUEST_STATUS_CANCELLED,
  ],
  [S.HELP_REQUEST_STATUS_VERIFIED]: [
    S.HELP_REQUEST_STATUS_MATCHED,
    S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED,
    S.HELP_REQUEST_STATUS_CANCELLED,
  ],
  [S.HELP_REQUEST_STATUS_PARTIALLY_MATCHED]: [
    S.HELP_REQUEST_STATUS_MATCHED,
    S.HELP_REQUEST_STATUS_FULFILLED,
    S.HELP_REQUEST_STATUS_CANCELLED,
  ],
  [S.HELP_REQUEST_STATUS_MATCHED]: [S.HELP_REQUEST_STATUS_FULFILLED, S.HELP_REQUEST_STATUS_CANCELLED],
  [S.HELP_REQUEST_STATUS_REJECTED]: [],
  [S.HELP_REQUEST_STATUS_DUPLICATE]: [],
  [S.HELP_REQUEST_STATUS_FULFILLED]: [],
  [S.HELP_REQUEST_STATUS_CANCELLED]: [],
};

export function canMove(from: S, to: S): boolean {
  return NEXT[from]?.includes(to) ?? false;
}

/** Nothing can follow it: rejected, duplicate, fulfilled, cancelled. */
export function isFinal(s: S): boolean {
  return (NEXT[s]?.length ?? 0) === 0;
}

export function statusName(s: S): string {
  return (S[s] ?? String(s)).replace('HELP_REQUEST_STATUS_', '');
}

/**
 * The request as a caller without access to personal data sees it: phone, exact address and coordinates
 * empty, the name reduced to its first character. District and community stay: coordination needs them.
 */
export function redact(r: HelpRequest): HelpRequest {
  return {
    ...r,
    requester: r.requester && {
      name: r.requester.name ? `${[...r.requester.name][0]}*` : '',
      phone: '',
    },
    location: r.location && {
      district: r.location.district,
      community: r.location.community,
      address: '',
      coordinates: undefined,
    },
    personalDataRedacted: true,
  };
}
