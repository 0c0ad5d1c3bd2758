/**
 * Polars (`nodejs-polars` + its linux-x64-gnu binary, devDependencies) as a benchmark peer: the
 * same queries written with its lazy API over the same Parquet files, and its CSV/Parquet I/O for
 * the ingest and write suites. Results are collected into a Polars DataFrame (native memory)
 * inside the timed part and converted to rows afterwards.
 */

import type { Schema } from '../../connectors/index.js';
import type { Dataset } from '../lib/datasets.js';
import { plainRows, type Rows } from '../suites/common.js';

export type Pl = typeof import('nodejs-polars').default;
export type PlFrame = import('nodejs-polars').DataFrame;
export type PlLazy = import('nodejs-polars').LazyDataFrame;

export async function loadPolars(): Promise<Pl> {
  return (await import('nodejs-polars')).default;
}

export function polarsRows(df: PlFrame): Rows {
  return plainRows(df.rows() as unknown[][]);
}

export function files(ds: Dataset): string[] {
  return ds.files.map((f) => `${ds.dir}/${f.name}`);
}

/** A lazy scan over a dataset's Parquet files. */
export function scan(pl: Pl, ds: Dataset): PlLazy {
  const paths = files(ds);
  const first = pl.scanParquet(paths[0]!);
  return paths.length === 1 ? first : pl.concat(paths.map((p) => pl.scanParquet(p)));
}

export function polarsSchema(pl: Pl, schema: Schema): Record<string, import('nodejs-polars').DataType> {
  const map: Record<string, import('nodejs-polars').DataType> = {
    long: pl.Int64, int: pl.Int32, double: pl.Float64, float: pl.Float32, string: pl.Utf8, date: pl.Date, boolean: pl.Bool,
  };
  return Object.fromEntries(schema.fields.map((f) => [f.name, map[String(f.type)] ?? pl.Utf8]));
}

const day = (s: string): Date => new Date(`${s}T00:00:00Z`);

/** The query suite in Polars' lazy API; column order matches the SQL of each query. */
export function polarsQueries(pl: Pl, t: { lineitem: Dataset; orders: Dataset; part: Dataset; customer: Dataset }): Record<string, () => Promise<PlFrame>> {
  const c = pl.col;
  const lit = pl.lit;
  const revenue = (): import('nodejs-polars').Expr => c('l_extendedprice').mul(lit(1).sub(c('l_discount')));
  return {
    Q1: () => scan(pl, t.lineitem).filter(c('l_shipdate').ltEq(lit(day('1998-09-02'))))
      .groupBy(['l_returnflag', 'l_linestatus'])
      .agg(
        c('l_quantity').sum().alias('sum_qty'), c('l_extendedprice').sum().alias('sum_base_price'),
        revenue().sum().alias('sum_disc_price'), revenue().mul(lit(1).add(c('l_tax'))).sum().alias('sum_charge'),
        c('l_quantity').mean().alias('avg_qty'), c('l_extendedprice').mean().alias('avg_price'), c('l_discount').mean().alias('avg_disc'),
        pl.len().alias('count_order'),
      ).sort(['l_returnflag', 'l_linestatus']).collect(),
    Q6: () => scan(pl, t.lineitem)
      .filter(c('l_shipdate').gtEq(lit(day('1994-01-01'))).and(c('l_shipdate').lt(lit(day('1995-01-01'))))
        .and(c('l_discount').gtEq(0.05)).and(c('l_discount').ltEq(0.07)).and(c('l_quantity').lt(24)))
      .select(c('l_extendedprice').mul(c('l_discount')).sum().alias('revenue')).collect(),
    'group by l_orderkey': () => scan(pl, t.lineitem).groupBy('l_orderkey').agg(c('l_quantity').sum().alias('sum_qty'), pl.len().alias('n')).collect(),
    'Q3 (join)': () => scan(pl, t.customer).filter(c('c_mktsegment').eq(lit('BUILDING'))).select('c_custkey')
      .join(scan(pl, t.orders).filter(c('o_orderdate').lt(lit(day('1995-03-15')))).select('o_orderkey', 'o_custkey', 'o_orderdate', 'o_shippriority'), { leftOn: 'c_custkey', rightOn: 'o_custkey' })
      .join(scan(pl, t.lineitem).filter(c('l_shipdate').gt(lit(day('1995-03-15')))).select('l_orderkey', 'l_extendedprice', 'l_discount'), { leftOn: 'o_orderkey', rightOn: 'l_orderkey' })
      .groupBy(['o_orderkey', 'o_orderdate', 'o_shippriority']).agg(revenue().sum().alias('revenue'))
      .select(c('o_orderkey').alias('l_orderkey'), c('revenue'), c('o_orderdate'), c('o_shippriority'))
      .sort(['revenue', 'o_orderdate', 'l_orderkey'], [true, false, false]).limit(10).collect(),
    'broadcast join (part)': () => scan(pl, t.lineitem).filter(c('l_shipdate').gtEq(lit(day('1995-09-01'))).and(c('l_shipdate').lt(lit(day('1995-10-01')))))
      .join(scan(pl, t.part).select('p_partkey', 'p_brand'), { leftOn: 'l_partkey', rightOn: 'p_partkey' })
      .groupBy('p_brand').agg(revenue().sum().alias('revenue'), pl.len().alias('n')).sort('p_brand').collect(),
    'large join (orders)': () => scan(pl, t.lineitem).select('l_orderkey', 'l_extendedprice')
      .join(scan(pl, t.orders).select('o_orderkey', 'o_orderpriority'), { leftOn: 'l_orderkey', rightOn: 'o_orderkey' })
      .groupBy('o_orderpriority').agg(pl.len().alias('n'), c('l_extendedprice').sum().alias('price')).sort('o_orderpriority').collect(),
  };
}
