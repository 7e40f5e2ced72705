/** An Arrow table of numeric and factor columns written as Parquet (nullable DOUBLE and STRING). */
import * as arrow from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';

export function tableToParquet(table: arrow.Table, rowGroupSize = 100_000): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: table.schema.fields.map((f) => {
      const vec = table.getChild(f.name)!;
      const text = arrow.DataType.isDictionary(f.type) || arrow.DataType.isUtf8(f.type);
      const data: (number | string | null)[] = new Array(table.numRows);
      for (let i = 0; i < table.numRows; i++) {
        const v = vec.get(i);
        data[i] = v === null || v === undefined ? null : text ? String(v) : Number(v);
      }
      return { name: f.name, data, type: text ? 'STRING' as const : 'DOUBLE' as const };
    }),
    rowGroupSize,
  });
}
