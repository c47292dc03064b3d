// biome-ignore-all lint/style/noNonNullAssertion: typed-array indices in the pivot loops are in range by construction; `!` keeps the hot paths readable.
/**
 * An exact solver for the dense transportation problem with free disposal
 *
 *     minimise  Σ cost[j·m + l] · x[l][j]      (cost = −value of one unit; +∞ = never pair)
 *     s.t.      Σ_j x[l][j] ≤ supply[l]   (lots l < m)
 *               Σ_l x[l][j] ≤ demand[j]   (needs j < n)
 *               x ≥ 0
 *
 * by the primal network simplex method. The min-cost flow network: lot nodes 0..m−1 (supply), need nodes
 * m..m+n−1 (demand), and one "nobody" node R = m+n that absorbs stock left over (arcs lot → R, cost 0) and
 * stands in for unmet demand (arcs R → need, cost 0). A pair whose cost is not negative is never worth using
 * (R does as well for free). Every arc is uncapacitated, so non-tree arcs carry no flow.
 *
 * - Exactness. The tree is kept strongly feasible (every arc without flow points towards R, so a unit can
 *   always be sent from any node to R along the tree): the starting tree is, and Cunningham's leaving-arc rule
 *   (the last blocking arc met going round the cycle from its apex, as in LEMON's NetworkSimplex) preserves
 *   the property, which rules out cycling in degenerate pivots. The method
 *   stops only when a scan of EVERY arc finds none with a negative reduced cost, i.e. at an optimum (to within
 *   `eps` per unit, far below a metre of distance), which is integral because supplies and demands are: tree
 *   flows are sums and differences of them.
 * - Start. Needs, in column order (callers put the most urgent first), each go whole under the cheapest lot
 *   that can still cover them, else hang from R unserved: a greedy start that roughly halves the pivots of an
 *   all-unserved start. Its only arcs without flow are those of used-up lots to R, which point towards R.
 * - Pricing. Arcs are implicit (the dense value matrix plus two arcs per node). Entering arcs come from a
 *   candidate list, block search style (blocks of ⌈√size⌉, the most negative reduced cost in the first block
 *   that has one): each need's CANDIDATES cheapest lots, the arcs to and from R, and every arc a full scan of
 *   the matrix has found eligible. When the list has no eligible arc, a full scan either finds more (they join
 *   the list) or proves optimality. Pruning thus only orders the work; it never changes the answer.
 * - Tree. Parent pointers, depths and child lists. A pivot walks the cycle through the endpoints' common
 *   ancestor, then re-hangs the subtree cut off by the leaving arc under the entering arc and recomputes that
 *   subtree's depths and potentials from its new parents (no drift from incremental updates).
 *
 * Deterministic: no randomness, and the same input gives the same pivots.
 */

export interface TransportFlow {
  /** Lot index. */
  lot: number;
  /** Need index. */
  need: number;
  quantity: number;
}

export interface TransportResult {
  flows: TransportFlow[];
  pivots: number;
  /** Scans of the whole matrix (the last one proves optimality). */
  fullScans: number;
}

/** Cheapest lots per need in the initial candidate list. */
const CANDIDATES = 16;

/**
 * Solves the problem above. `supply` (m entries) and `demand` (n entries) must be whole numbers > 0; `cost`
 * has m×n entries, need-major: one unit of need j from lot l costs `cost[j * m + l]`. The solver reads `cost`
 * and never writes it. Returns the positive flows, by need then lot.
 */
export function solveTransport(
  supply: ArrayLike<number>,
  demand: ArrayLike<number>,
  cost: Float64Array,
): TransportResult {
  const m = supply.length;
  const n = demand.length;
  if (cost.length !== m * n) throw new RangeError(`cost has ${cost.length} entries, expected ${m}×${n}`);
  for (let l = 0; l < m; l++) {
    if (!(supply[l]! > 0 && Number.isSafeInteger(supply[l]!)))
      throw new RangeError(`supply[${l}] must be > 0`);
  }
  for (let j = 0; j < n; j++) {
    if (!(demand[j]! > 0 && Number.isSafeInteger(demand[j]!)))
      throw new RangeError(`demand[${j}] must be > 0`);
  }
  if (m === 0 || n === 0) return { flows: [], pivots: 0, fullScans: 0 };

  const dense = m * n;
  const root = m + n;
  const nodeCount = m + n + 1;

  let scale = 1;
  for (let k = 0; k < dense; k++) {
    const c = cost[k]!;
    if (Number.isNaN(c) || c === Number.NEGATIVE_INFINITY) throw new RangeError(`cost[${k}] is ${c}`);
    if (c < 0 && -c > scale) scale = -c;
  }
  // Reduced costs are sums of a few costs of magnitude ≤ scale; rounding is ~1e-16·scale per operation.
  const eps = Math.max(1e-9, scale * 1e-11);

  // Arc ids: dense arcs k = j·m + l (lot l → need j), then lot → R (dense + l), then R → need (dense + m + j).
  const parent = new Int32Array(nodeCount);
  const predArc = new Int32Array(nodeCount);
  /** 1 when the arc to the parent points up (node → parent), 0 when down (parent → node). */
  const up = new Uint8Array(nodeCount);
  const flow = new Float64Array(nodeCount);
  const depth = new Int32Array(nodeCount);
  const pi = new Float64Array(nodeCount);
  const firstChild = new Int32Array(nodeCount).fill(-1);
  const nextSib = new Int32Array(nodeCount).fill(-1);
  const prevSib = new Int32Array(nodeCount).fill(-1);
  const stack = new Int32Array(nodeCount);

  const addChild = (p: number, c: number): void => {
    const first = firstChild[p]!;
    nextSib[c] = first;
    prevSib[c] = -1;
    if (first !== -1) prevSib[first] = c;
    firstChild[p] = c;
  };
  const removeChild = (p: number, c: number): void => {
    const prev = prevSib[c]!;
    const next = nextSib[c]!;
    if (prev !== -1) nextSib[prev] = next;
    else firstChild[p] = next;
    if (next !== -1) prevSib[next] = prev;
  };
  const arcCost = (k: number): number => (k < dense ? cost[k]! : 0);
  /** Depths and potentials of the subtree under `top`, each from its parent: π_v = π_p − c (v → p) or π_p + c. */
  const refresh = (top: number): void => {
    let sp = 0;
    stack[sp++] = top;
    while (sp > 0) {
      const v = stack[--sp]!;
      if (v !== root) {
        const pv = parent[v]!;
        depth[v] = depth[pv]! + 1;
        const c = arcCost(predArc[v]!);
        pi[v] = up[v] === 1 ? pi[pv]! - c : pi[pv]! + c;
      }
      for (let c2 = firstChild[v]!; c2 !== -1; c2 = nextSib[c2]!) stack[sp++] = c2;
    }
  };

  // The starting tree (see the top of the file).
  const left = new Float64Array(m);
  for (let l = 0; l < m; l++) left[l] = supply[l]!;
  parent[root] = -1;
  predArc[root] = -1;
  for (let j = 0; j < n; j++) {
    const v = m + j;
    const q = demand[j]!;
    let bestLot = -1;
    let bestCost = 0;
    for (let l = 0, k = j * m; l < m; l++, k++) {
      if (cost[k]! < bestCost && left[l]! >= q) {
        bestCost = cost[k]!;
        bestLot = l;
      }
    }
    if (bestLot >= 0) {
      left[bestLot] = left[bestLot]! - q;
      parent[v] = bestLot;
      predArc[v] = j * m + bestLot;
      addChild(bestLot, v);
    } else {
      parent[v] = root;
      predArc[v] = dense + m + j;
      addChild(root, v);
    }
    up[v] = 0;
    flow[v] = q;
  }
  for (let l = 0; l < m; l++) {
    parent[l] = root;
    predArc[l] = dense + l;
    up[l] = 1;
    flow[l] = left[l]!;
    addChild(root, l);
  }
  refresh(root);

  // The candidate list, as parallel arrays (arc id, tail node, head node): the arcs to and from R, then each
  // need's cheapest lots (selected with a bounded max-heap), then whatever full scans find.
  let capacity = Math.max(16, m + n + n * Math.min(CANDIDATES, m));
  let candArc = new Int32Array(capacity);
  let candFrom = new Int32Array(capacity);
  let candTo = new Int32Array(capacity);
  let candCount = 0;
  const addCandidate = (k: number, from: number, to: number): void => {
    if (candCount === capacity) {
      capacity *= 2;
      const grow = (a: Int32Array) => {
        const b = new Int32Array(capacity);
        b.set(a);
        return b;
      };
      candArc = grow(candArc);
      candFrom = grow(candFrom);
      candTo = grow(candTo);
    }
    candArc[candCount] = k;
    candFrom[candCount] = from;
    candTo[candCount] = to;
    candCount++;
  };
  for (let l = 0; l < m; l++) addCandidate(dense + l, l, root);
  for (let j = 0; j < n; j++) addCandidate(dense + m + j, root, m + j);
  {
    const K = Math.min(CANDIDATES, m);
    const heap = new Int32Array(K);
    for (let j = 0; j < n; j++) {
      const base = j * m;
      let size = 0;
      for (let l = 0; l < m; l++) {
        const c = cost[base + l]!;
        if (!(c < 0)) continue;
        if (size < K) {
          // Sift up.
          let i = size++;
          while (i > 0) {
            const p = (i - 1) >> 1;
            if (cost[base + heap[p]!]! >= c) break;
            heap[i] = heap[p]!;
            i = p;
          }
          heap[i] = l;
        } else if (c < cost[base + heap[0]!]!) {
          // Replace the most expensive, sift down.
          let i = 0;
          for (;;) {
            let child = 2 * i + 1;
            if (child >= K) break;
            if (child + 1 < K && cost[base + heap[child + 1]!]! > cost[base + heap[child]!]!) child++;
            if (cost[base + heap[child]!]! <= c) break;
            heap[i] = heap[child]!;
            i = child;
          }
          heap[i] = l;
        }
      }
      for (let h = 0; h < size; h++) addCandidate(base + heap[h]!, heap[h]!, m + j);
    }
  }

  let pivots = 0;
  let fullScans = 0;
  let nextCand = 0;
  for (;;) {
    // Block search over the candidate list.
    const blockSize = Math.max(10, Math.ceil(Math.sqrt(candCount)));
    let best = -1;
    let bestRc = -eps;
    let i = nextCand < candCount ? nextCand : 0;
    let inBlock = 0;
    for (let scanned = 0; scanned < candCount; scanned++) {
      const k = candArc[i]!;
      const rc = (k < dense ? cost[k]! : 0) + pi[candFrom[i]!]! - pi[candTo[i]!]!;
      if (rc < bestRc) {
        bestRc = rc;
        best = i;
      }
      if (++i === candCount) i = 0;
      if (++inBlock === blockSize) {
        if (best >= 0) break;
        inBlock = 0;
      }
    }
    nextCand = i;
    if (best < 0) {
      // No eligible candidate: scan the whole matrix. Eligible arcs join the list; none means optimal.
      fullScans++;
      const before = candCount;
      for (let j = 0, k = 0; j < n; j++) {
        const piNeed = pi[m + j]!;
        for (let l = 0; l < m; l++, k++) {
          if (cost[k]! + pi[l]! - piNeed < -eps) addCandidate(k, l, m + j);
        }
      }
      if (candCount === before) break;
      nextCand = before;
      continue;
    }
    pivots++;

    // The cycle: the entering arc (s → t), then the tree path t → join → s.
    const entering = candArc[best]!;
    const s = candFrom[best]!;
    const t = candTo[best]!;
    let a = s;
    let b = t;
    while (a !== b) {
      if (depth[a]! > depth[b]!) a = parent[a]!;
      else if (depth[b]! > depth[a]!) b = parent[b]!;
      else {
        a = parent[a]!;
        b = parent[b]!;
      }
    }
    const join = a;

    // Leaving arc (Cunningham): the s side is walked against the cycle's direction, so a strict comparison
    // keeps the blocking arc nearest s; the t side is walked along it, so ≤ keeps the one nearest the join.
    let delta = Number.POSITIVE_INFINITY;
    let leave = -1;
    let leaveOnSourceSide = false;
    for (let x = s; x !== join; x = parent[x]!) {
      if (up[x] === 1 && flow[x]! < delta) {
        delta = flow[x]!;
        leave = x;
        leaveOnSourceSide = true;
      }
    }
    for (let x = t; x !== join; x = parent[x]!) {
      if (up[x] === 0 && flow[x]! <= delta) {
        delta = flow[x]!;
        leave = x;
        leaveOnSourceSide = false;
      }
    }
    if (leave < 0)
      throw new Error('transportation problem unbounded (a bug: every cycle has a blocking arc)');

    if (delta > 0) {
      for (let x = s; x !== join; x = parent[x]!) flow[x] = up[x] === 1 ? flow[x]! - delta : flow[x]! + delta;
      for (let x = t; x !== join; x = parent[x]!) flow[x] = up[x] === 1 ? flow[x]! + delta : flow[x]! - delta;
    }

    // Re-hang the subtree below the leaving arc from the entering arc's endpoint q inside it: reverse the
    // parent pointers on the path q … leave, then hang q under p.
    const q = leaveOnSourceSide ? s : t;
    let x = q;
    let newParent = leaveOnSourceSide ? t : s;
    let newArc = entering;
    let newUp = q === s ? 1 : 0;
    let newFlow = delta;
    for (;;) {
      const oldParent = parent[x]!;
      const oldArc = predArc[x]!;
      const oldUp = up[x]!;
      const oldFlow = flow[x]!;
      removeChild(oldParent, x);
      parent[x] = newParent;
      predArc[x] = newArc;
      up[x] = newUp;
      flow[x] = newFlow;
      addChild(newParent, x);
      if (x === leave) break;
      newParent = x;
      newArc = oldArc;
      newUp = 1 - oldUp;
      newFlow = oldFlow;
      x = oldParent;
    }
    refresh(q);
  }

  const flows: TransportFlow[] = [];
  for (let v = 0; v < root; v++) {
    const arc = predArc[v]!;
    if (arc < dense && flow[v]! > 0) flows.push({ lot: arc % m, need: (arc / m) | 0, quantity: flow[v]! });
  }
  flows.sort((p1, p2) => p1.need - p2.need || p1.lot - p2.lot);
  return { flows, pivots, fullScans };
}
