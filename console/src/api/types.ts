/**
 * The JSON the gateway returns: the services' protobuf messages in proto3 JSON form (camelCase names, enums
 * as their names, timestamps as RFC 3339 strings). Personal data (phones, addresses) may be empty or absent:
 * the services redact it by role, and the console never assumes it is there.
 */

export interface Quantity {
  amount: number;
  unit: string;
}
export interface Money {
  currencyCode?: string;
  minorUnits: number;
}
export interface Location {
  district: string;
  community?: string;
  address?: string;
  coordinates?: { latitude: number; longitude: number };
}
export interface Contact {
  name?: string;
  phone?: string;
}
export interface Need {
  needId?: string;
  category: string;
  itemName: string;
  quantity: Quantity;
  note?: string;
}
export interface Page {
  nextPageToken?: string;
}

export interface HelpRequest {
  id: string;
  version: number;
  submittingOrganisationId?: string;
  requester?: Contact;
  location?: Location;
  needs: Need[];
  urgency: string;
  vulnerableGroups?: string[];
  peopleAffected: number;
  channel?: string;
  description?: string;
  status: string;
  priorityScore?: number;
  possibleDuplicateOf?: string[];
  statusReason?: string;
  receivedAt?: string;
  updatedAt?: string;
  personalDataRedacted?: boolean;
}

export interface CallAttempt {
  at?: string;
  verifierId?: string;
  note?: string;
  reached?: boolean;
}
export interface VerificationTask {
  id: string;
  version: number;
  helpRequestId: string;
  urgency: string;
  status: string;
  dueAt?: string;
  overdue?: boolean;
  claimedBy?: string;
  claimExpiresAt?: string;
  attempts?: CallAttempt[];
  outcome?: string;
  outcomeReason?: string;
  createdAt?: string;
  completedAt?: string;
}

export interface StockLot {
  id: string;
  offerId?: string;
  donorOrganisationId: string;
  category: string;
  itemName: string;
  unit: string;
  received: number;
  available: number;
  reserved: number;
  committed: number;
  adjusted?: number;
  unitValue?: Money;
  expiresAt?: string;
  location?: Location;
  warehouseId?: string;
}

export interface MatchLine {
  lotId: string;
  quantity: number;
  unit: string;
  itemName?: string;
  pickupLocation?: Location;
}
export interface MatchProposal {
  id: string;
  helpRequestId: string;
  needId: string;
  category: string;
  needItemName?: string;
  requested?: Quantity;
  supplierOrganisationId: string;
  lines: MatchLine[];
  proposedQuantity: number;
  remainingQuantity?: number;
  status: string;
  origin?: string;
  urgency?: string;
  dropoffLocation?: Location;
  distanceKm?: number;
  statusReason?: string;
  createdAt?: string;
  decideBy?: string;
}
export interface OpenNeed {
  helpRequestId: string;
  need: Need;
  urgency: string;
  location?: Location;
  remainingQuantity: number;
  unmatchedReason?: string;
  receivedAt?: string;
  verifiedAt?: string;
}

export interface DeliveryItem {
  lotId?: string;
  category: string;
  itemName: string;
  quantity: Quantity;
}
export interface DeliveryTask {
  id: string;
  version: number;
  matchProposalId?: string;
  helpRequestId: string;
  items: DeliveryItem[];
  pickupLocation?: Location;
  pickupContact?: Contact;
  dropoffLocation?: Location;
  recipient?: Contact;
  urgency?: string;
  status: string;
  offeredToVolunteerId?: string;
  offerExpiresAt?: string;
  assignedVolunteerId?: string;
  dueAt?: string;
  proofNote?: string;
  failureReason?: string;
  personalDataRedacted?: boolean;
}

export interface RequestFigures {
  collected: number;
  verified: number;
  rejected?: number;
  duplicates?: number;
  unreachable?: number;
  cancelled?: number;
  matched: number;
  fulfilled: number;
  peopleHelped?: number;
  emergencyResponses?: number;
}
export interface CategoryFigure {
  category: string;
  quantities?: Quantity[];
  value?: Money;
  deliveries?: number;
}
export interface Summary {
  asOf?: string;
  requests?: RequestFigures;
  supplies?: CategoryFigure[];
  suppliesValue?: Money;
  districtsReached?: number;
  communitiesReached?: number;
  activeVolunteers?: number;
  volunteerHours?: number;
}
export interface BreakdownRow {
  keys: string[];
  labels?: string[];
  figures: {
    requestsCollected?: number;
    requestsVerified?: number;
    requestsMatched?: number;
    requestsFulfilled?: number;
    peopleHelped?: number;
  };
}
export interface TimeSeries {
  metric: string;
  points: { bucketStart: string; value: number }[];
}

/** "HELP_REQUEST_STATUS_RECEIVED" → "received"; an already short name ("received") is kept. */
export function enumKey(value: string | number | undefined, prefix: string): string {
  if (value === undefined || value === null) return 'unspecified';
  const s = String(value);
  return (s.startsWith(prefix) ? s.slice(prefix.length) : s).toLowerCase();
}

/** The long protobuf name of a short key, for request bodies and filters: ("received", "HELP_REQUEST_STATUS_"). */
export const enumValue = (key: string, prefix: string): string => `${prefix}${key.toUpperCase()}`;

export const PREFIX = {
  status: 'HELP_REQUEST_STATUS_',
  urgency: 'URGENCY_',
  category: 'ITEM_CATEGORY_',
  channel: 'CHANNEL_',
  vulnerable: 'VULNERABLE_GROUP_',
  taskStatus: 'TASK_STATUS_',
  outcome: 'OUTCOME_',
  proposal: 'PROPOSAL_STATUS_',
  unmatched: 'UNMATCHED_REASON_',
  delivery: 'DELIVERY_TASK_STATUS_',
  metric: 'METRIC_',
} as const;
