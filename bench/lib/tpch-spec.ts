/**
 * The value domains of the TPC-H specification (clause 4.2.2 and 4.2.3, as distributed with
 * dbgen's dists.dss): the fixed NATION and REGION rows, the word lists from which P_NAME,
 * P_TYPE, P_CONTAINER, C_MKTSEGMENT, O_ORDERPRIORITY, L_SHIPINSTRUCT and L_SHIPMODE are drawn, and
 * the text grammar (4.2.2.10) that produces every *_COMMENT column — which is what the LIKE
 * predicates of Q9, Q13, Q16 and Q20 select on ('%green%', '%special%requests%',
 * '%Customer%Complaints%', 'forest%').
 *
 * Deliberate simplification, documented: dbgen draws comments from a 300 MB pre-generated text
 * pool with weighted word choices; here each comment is generated directly from the same grammar
 * with uniform word choices, so LIKE selectivities are close to but not exactly dbgen's. Query
 * answers are always checked against DuckDB over the same generated files, so this never
 * affects correctness checks — only how closely the data mimics dbgen's.
 *
 * Pure data and pure functions of a seeded random source; deterministic.
 */

export const NATIONS: Array<[number, string, number]> = [
  [0, 'ALGERIA', 0], [1, 'ARGENTINA', 1], [2, 'BRAZIL', 1], [3, 'CANADA', 1], [4, 'EGYPT', 4], [5, 'ETHIOPIA', 0],
  [6, 'FRANCE', 3], [7, 'GERMANY', 3], [8, 'INDIA', 2], [9, 'INDONESIA', 2], [10, 'IRAN', 4], [11, 'IRAQ', 4],
  [12, 'JAPAN', 2], [13, 'JORDAN', 4], [14, 'KENYA', 0], [15, 'MOROCCO', 0], [16, 'MOZAMBIQUE', 0], [17, 'PERU', 1],
  [18, 'CHINA', 2], [19, 'ROMANIA', 3], [20, 'SAUDI ARABIA', 4], [21, 'VIETNAM', 2], [22, 'RUSSIA', 3],
  [23, 'UNITED KINGDOM', 3], [24, 'UNITED STATES', 1],
];

export const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];

/** The 92 colours of P_NAME (4.2.3: five distinct words, space separated). */
export const COLORS = (
  'almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished chartreuse chiffon ' +
  'chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick floral forest frosted gainsboro ghost ' +
  'goldenrod green grey honeydew hot indian ivory khaki lace lavender lawn lemon light lime linen magenta maroon medium ' +
  'metallic midnight mint misty moccasin navajo navy olive orange orchid pale papaya peach peru pink plum powder puff ' +
  'purple red rose rosy royal saddle salmon sandy seashell sienna sky slate smoke snow spring steel tan thistle tomato ' +
  'turquoise violet wheat white yellow'
).split(' ');

export const TYPE_S1 = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
export const TYPE_S2 = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
export const TYPE_S3 = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
export const CONTAINER_S1 = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
export const CONTAINER_S2 = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
export const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
export const PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
export const INSTRUCTIONS = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
export const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];

const NOUNS = (
  'foxes ideas theodolites pinto beans instructions dependencies excuses platelets asymptotes courts dolphins multipliers ' +
  'sauternes warthogs frets dinos attainments somas Tiresias patterns forges braids hockey players frays warhorses dugouts ' +
  'notornis epitaphs pearls tithes waters orbits gifts sheaves depths sentiments decoys realms pains grouches escapades ' +
  'packages requests accounts deposits'
).split(' ');
const VERBS = (
  'sleep wake are cajole haggle nag use boost affix detect integrate maintain nod was lose sublate solve thrash promise ' +
  'engage hinder print x-ray breach eat grow impress mold poach serve run dazzle snooze doze unwind kindle play hang ' +
  'believe doubt'
).split(' ');
const ADJECTIVES = (
  'special pending unusual express furious sly careful blithe quick fluffy slow quiet ruthless thin close dogged daring ' +
  'brave stealthy permanent enticing idle busy regular final ironic even bold silent'
).split(' ');
const ADVERBS = (
  'sometimes always never furiously slyly carefully blithely quickly fluffily slowly quietly ruthlessly thinly closely ' +
  'doggedly daringly bravely stealthily permanently enticingly idly busily regularly finally ironically evenly boldly silently'
).split(' ');
const PREPOSITIONS = [
  'about', 'above', 'according to', 'across', 'after', 'against', 'along', 'alongside of', 'among', 'around', 'at', 'atop',
  'before', 'behind', 'beneath', 'beside', 'besides', 'between', 'beyond', 'by', 'despite', 'during', 'except', 'for', 'from',
  'in place of', 'inside', 'instead of', 'into', 'near', 'of', 'on', 'outside', 'over', 'past', 'since', 'through',
  'throughout', 'to', 'toward', 'under', 'until', 'up', 'upon', 'without', 'with', 'within',
];
const AUXILIARIES = [
  'do', 'may', 'might', 'shall', 'will', 'would', 'can', 'could', 'should', 'ought to', 'must', 'will have to',
  'shall have to', 'could have to', 'should have to', 'must have to', 'need to', 'try to',
];
const TERMINATORS = ['.', ';', ':', '?', '!', '--'];

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** A uniformly random integer in [lo, hi] (both inclusive), as the spec's "random [x .. y]". */
export function randInt(rnd: Rnd, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

function nounPhrase(rnd: Rnd): string {
  switch (Math.floor(rnd() * 4)) {
    case 0: return pick(rnd, NOUNS);
    case 1: return `${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)}`;
    case 2: return `${pick(rnd, ADJECTIVES)}, ${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)}`;
    default: return `${pick(rnd, ADVERBS)} ${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)}`;
  }
}

function verbPhrase(rnd: Rnd): string {
  switch (Math.floor(rnd() * 4)) {
    case 0: return pick(rnd, VERBS);
    case 1: return `${pick(rnd, AUXILIARIES)} ${pick(rnd, VERBS)}`;
    case 2: return `${pick(rnd, VERBS)} ${pick(rnd, ADVERBS)}`;
    default: return `${pick(rnd, AUXILIARIES)} ${pick(rnd, VERBS)} ${pick(rnd, ADVERBS)}`;
  }
}

/** One sentence of the grammar of 4.2.2.10. */
function sentence(rnd: Rnd): string {
  const t = pick(rnd, TERMINATORS);
  switch (Math.floor(rnd() * 5)) {
    case 0: return `${nounPhrase(rnd)} ${verbPhrase(rnd)}${t}`;
    case 1: return `${nounPhrase(rnd)} ${verbPhrase(rnd)} ${pick(rnd, PREPOSITIONS)} the ${nounPhrase(rnd)}${t}`;
    case 2: return `${nounPhrase(rnd)} ${verbPhrase(rnd)} ${nounPhrase(rnd)}${t}`;
    case 3: return `${nounPhrase(rnd)} ${pick(rnd, PREPOSITIONS)} the ${nounPhrase(rnd)} ${verbPhrase(rnd)} ${nounPhrase(rnd)}${t}`;
    default: return `${nounPhrase(rnd)} ${pick(rnd, PREPOSITIONS)} the ${nounPhrase(rnd)} ${verbPhrase(rnd)} ${pick(rnd, PREPOSITIONS)} the ${nounPhrase(rnd)}${t}`;
  }
}

/** A text string of random length in [lo, hi] characters (4.2.2.10: "text appended with a random [lo, hi] length"). */
export function text(rnd: Rnd, lo: number, hi: number): string {
  const len = randInt(rnd, lo, hi);
  let s = '';
  while (s.length < len) s += (s ? ' ' : '') + sentence(rnd);
  return s.slice(0, len).trimEnd() || s.slice(0, len);
}

const ALNUM = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,';

/** A "v-string" (4.2.2.7): random alphanumeric characters, length uniformly in [lo, hi]. */
export function vstring(rnd: Rnd, lo: number, hi: number): string {
  const len = randInt(rnd, lo, hi);
  let s = '';
  for (let i = 0; i < len; i++) s += ALNUM[Math.floor(rnd() * ALNUM.length)]!;
  return s;
}

/** A phone number (4.2.2.9): country code nationkey + 10, then 3-3-4 random digits. */
export function phone(rnd: Rnd, nationkey: number): string {
  return `${nationkey + 10}-${randInt(rnd, 100, 999)}-${randInt(rnd, 100, 999)}-${randInt(rnd, 1000, 9999)}`;
}

/** P_NAME: five distinct colours. */
export function partName(rnd: Rnd): string {
  const out: string[] = [];
  while (out.length < 5) {
    const c = pick(rnd, COLORS);
    if (!out.includes(c)) out.push(c);
  }
  return out.join(' ');
}

export function partType(rnd: Rnd): string {
  return `${pick(rnd, TYPE_S1)} ${pick(rnd, TYPE_S2)} ${pick(rnd, TYPE_S3)}`;
}

export function container(rnd: Rnd): string {
  return `${pick(rnd, CONTAINER_S1)} ${pick(rnd, CONTAINER_S2)}`;
}

export { pick };
