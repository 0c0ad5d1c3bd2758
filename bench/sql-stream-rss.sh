#!/bin/bash
# Peak RSS of `lake sql "SELECT * FROM big.t"` streamed to /dev/null (issue #13: under 500 MB wanted).
# Makes a 5M-row table once (DuckDB writes the Parquet file, `lake ingest` loads it), then runs each
# output format under /usr/bin/time -v. Usage: bench/sql-stream-rss.sh [workdir] (after npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/lake-sql-stream-rss}
mkdir -p "$W"
if [ ! -d "$W/wh" ]; then
  node --input-type=module -e "
    import { DuckDBInstance } from '@duckdb/node-api';
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    await c.run(\`COPY (SELECT i::INTEGER AS id, DATE '2024-01-01' + (i % 365)::INTEGER AS d, ['north','south','east','west'][(i % 4) + 1] AS region,
      (i % 1000) / 4.0 AS amount, 'note-' || (i % 100000) AS note FROM range(5000000) t(i)) TO '$W/big.parquet' (FORMAT parquet)\`);"
  node dist/engine/cli/main.js ingest big.t "$W/big.parquet" --create -w "$W/wh"
fi
for f in table csv json; do
  /usr/bin/time -v node dist/engine/cli/main.js sql "SELECT * FROM big.t" -f $f -w "$W/wh" 2>"$W/time-$f.txt" >/dev/null
  echo "$f: $(grep -E 'Maximum resident' "$W/time-$f.txt" | sed 's/^\s*//'), $(grep Elapsed "$W/time-$f.txt" | sed 's/^\s*//')"
done
/usr/bin/time -v node dist/engine/cli/main.js sql "SELECT * FROM big.t" --limit 3 -w "$W/wh" 2>"$W/time-limit.txt" >/dev/null
echo "--limit 3: $(grep -E 'Maximum resident' "$W/time-limit.txt" | sed 's/^\s*//'), $(grep Elapsed "$W/time-limit.txt" | sed 's/^\s*//')"
