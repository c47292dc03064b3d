import { createHash } from 'node:crypto';
import type { Bus } from '@nuanyang/bus';
import type { ItemCategory } from '@nuanyang/proto/nuanyang/common/v1/common';
import { type CasKeyValue, natsKeyValue, retryingNats } from '@nuanyang/store';
import { DUPLICATE_WINDOW_HOURS, type DuplicateCandidate, normaliseAddress } from './domain/duplicates';

const WINDOW_MS = DUPLICATE_WINDOW_HOURS * 3600_000;
const BUCKET = 'nuanyang_intake_duplicates';

/** What a key remembers of a recent request: enough for the duplicate rule, no personal data. */
interface Seen {
  id: string;
  /** Received at, epoch ms. */
  at: number;
  /** Its need categories (address keys only: the rule asks for an overlapping category there). */
  categories?: ItemCategory[];
}

/**
 * The recent requests by phone and by address, for flagging likely duplicates with two key look-ups
 * instead of a query over every request (which took CreateHelpRequest from 1.6 s to 8.3 s between 100 and
 * 1,000 stored). A KV bucket whose entries expire after the duplicate window; keys are hashes of the phone
 * and of district + normalised address, each holding the requests seen under it within the window.
 * Updated with compare-and-set, so two requests with one phone at the same moment each see the other or
 * are seen by it.
 */
export class DuplicateIndex {
  constructor(private readonly kv: CasKeyValue) {}

  static async open(bus: Bus): Promise<DuplicateIndex> {
    return new DuplicateIndex(natsKeyValue(await retryingNats(() => bus.kv(BUCKET, WINDOW_MS))));
  }

  /**
   * Records a new request under its phone and address and returns the requests seen there before it, as
   * candidates for `findLikelyDuplicates`. Registering the same id again (a retry) changes nothing.
   */
  async register(incoming: DuplicateCandidate): Promise<DuplicateCandidate[]> {
    const categories = [...new Set(incoming.needs.map((n) => n.category))];
    const at = incoming.receivedAt.getTime();
    const address = normaliseAddress(incoming.address);
    // The two keys are independent: registered side by side.
    const [byPhone, byAddress] = await Promise.all([
      incoming.phone !== '' ? this.add(`phone.${hash(incoming.phone)}`, { id: incoming.id, at }) : [],
      address !== ''
        ? this.add(`address.${hash(`${incoming.district}\u0000${address}`)}`, {
            id: incoming.id,
            at,
            categories,
          })
        : [],
    ]);
    const candidates: DuplicateCandidate[] = [
      ...byPhone.map((seen) => ({ ...blank(seen), phone: incoming.phone })),
      ...byAddress.map((seen) => ({
        ...blank(seen),
        district: incoming.district,
        address: incoming.address,
        needs: (seen.categories ?? []).map((category) => ({ needId: '', category, itemName: '', note: '' })),
      })),
    ];
    return candidates.filter((c) => c.id !== incoming.id);
  }

  /** Adds `entry` to the key's list (dropping what left the window) and returns the list before it. */
  private async add(key: string, entry: Seen): Promise<Seen[]> {
    for (;;) {
      const current = await this.kv.get(key);
      const before: Seen[] = current ? (JSON.parse(current.value) as Seen[]) : [];
      const recent = before.filter((s) => s.at >= entry.at - WINDOW_MS && s.id !== entry.id);
      // Another request under this key got in between: read again.
      if (await this.kv.set(key, JSON.stringify([...recent, entry]), current?.revision ?? 0)) return before;
    }
  }
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

function blank(seen: Seen): DuplicateCandidate {
  return { id: seen.id, phone: '', district: '', address: '', needs: [], receivedAt: new Date(seen.at) };
}
