/**
 * A small seeded sales dataset for the demo and examples. Deterministic: the same seed gives
 * the same rows on every machine (a 32-bit xorshift generator, no Math.random).
 */

export interface SaleRow {
  orderId: number;
  orderDate: string; // YYYY-MM-DD
  customerId: number;
  region: string;
  product: string;
  quantity: number;
  unitPrice: number;
}

const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const PRODUCTS = ['widget', 'gadget', 'doohickey', 'gizmo', 'sprocket', 'flange', 'bracket', 'valve'];

export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

export function generateSales(opts: { rows: number; seed: number; startDate?: string; days?: number; firstOrderId?: number }): SaleRow[] {
  const rnd = seededRandom(opts.seed);
  const start = Date.parse(`${opts.startDate ?? '2024-01-01'}T00:00:00Z`);
  const days = opts.days ?? 365;
  const out: SaleRow[] = [];
  for (let i = 0; i < opts.rows; i++) {
    const day = Math.floor(rnd() * days);
    out.push({
      orderId: (opts.firstOrderId ?? 1) + i,
      orderDate: new Date(start + day * 86_400_000).toISOString().slice(0, 10),
      customerId: 1 + Math.floor(rnd() * 500),
      region: REGIONS[Math.floor(rnd() * REGIONS.length)]!,
      product: PRODUCTS[Math.floor(rnd() * PRODUCTS.length)]!,
      quantity: 1 + Math.floor(rnd() * 20),
      unitPrice: Math.round((1 + rnd() * 99) * 100) / 100,
    });
  }
  return out;
}

export function salesToCsv(rows: SaleRow[]): string {
  const header = 'order_id,order_date,customer_id,region,product,quantity,unit_price';
  return `${header}\n${rows.map((r) => `${r.orderId},${r.orderDate},${r.customerId},${r.region},${r.product},${r.quantity},${r.unitPrice}`).join('\n')}\n`;
}
