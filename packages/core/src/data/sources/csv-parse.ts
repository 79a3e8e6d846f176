/**
 * Exact powers of ten: every one up to 1e22 is a double exactly, so `m / POW10[k]` is a single, correctly
 * rounded IEEE division of two exact operands.
 */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/**
 * The value of the decimal `±mantissa × 10^-fractionDigits`, correctly rounded, so exactly what `Number()`
 * gives for its text, when `mantissa` is an integer below 2^53 (so exact) and `fractionDigits <= 22`;
 * otherwise `NaN`: too long to compute exactly this way, decode the text and use `Number()`.
 *
 * Why not accumulate the fraction digit by digit in floating point: that rounds at every step and misses
 * (`1455.219971` would not equal `Number('1455.219971')`). Here the only rounding is the one division.
 */
export function decimalValue(mantissa: number, fractionDigits: number, negative: boolean): number {
  if (mantissa > Number.MAX_SAFE_INTEGER || fractionDigits > 22) return Number.NaN;
  const value = fractionDigits === 0 ? mantissa : mantissa / (POW10[fractionDigits] as number);
  return negative ? -value : value;
}

/**
 * Splits CSV lines held in a byte buffer into cells without creating strings, reading each cell as a number
 * on the way: one pass per line, for the CSV bar reader's hot path.
 *
 * For each of the first `columns` cells of the scanned line it records where the cell starts and ends and
 * `cellValue`: exactly `Number(text)` of the cell's text when the text is a plain decimal (optional sign,
 * digits, optional `.` and digits: `12`, `-0.5`, `1455.219971`, `.5`, `5.`) short enough to read exactly
 * (see {@link decimalValue}), else `NaN`, meaning "decode the cell and use `Number()`", not "not a number".
 *
 * Line breaks are `\n`, or `\r\n` (a `\r` elsewhere is part of its cell). The delimiter must be an ASCII byte
 * that cannot occur in a plain decimal; quotes are not interpreted, only reported by `quoted`.
 */
export class CsvRowScanner {
  /** Where each recorded cell starts (byte offset in the scanned buffer). */
  readonly cellStart: Int32Array;
  /** Where each recorded cell ends (exclusive; a `\r` of a `\r\n` break is not part of the last cell). */
  readonly cellEnd: Int32Array;
  /** Each recorded cell's value when it is a short plain decimal, else `NaN`. */
  readonly cellValue: Float64Array;
  /** Cells in the last scanned line, including those beyond `columns`. */
  cells = 0;
  /** Where the last scanned line's text ends (before its line break). */
  end = 0;
  /** Whether the last scanned line contains a double quote (then its cells are not what CSV means). */
  quoted = false;

  /**
   * @param delimiter the delimiter's byte (ASCII, not a digit, `.`, `+` or `-`)
   * @param columns how many leading cells of a line to record
   */
  constructor(
    private readonly delimiter: number,
    columns: number,
  ) {
    this.cellStart = new Int32Array(columns);
    this.cellEnd = new Int32Array(columns);
    this.cellValue = new Float64Array(columns);
  }

  /**
   * Scans the line that starts at `from`. Returns the position after its line break, or -1 when the line does
   * not end before `to` (keep it and scan it again with more bytes).
   */
  scan(bytes: Uint8Array, from: number, to: number): number {
    const delimiter = this.delimiter;
    const cellStart = this.cellStart;
    const cellEnd = this.cellEnd;
    const cellValue = this.cellValue;
    const recorded = cellStart.length;
    let pos = from;
    let column = 0;
    let start = pos;
    let quoted = false;
    let mantissa = 0;
    let digits = 0;
    let dotAt = -1;
    let negative = false;
    let plain = true;
    for (;;) {
      if (pos >= to) return -1;
      const c = bytes[pos] as number;
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        mantissa = mantissa * 10 + d;
        digits++;
      } else if (c === delimiter || c === 10 || c === 13) {
        const end = pos;
        if (c === 13) {
          if (pos + 1 >= to) return -1;
          if (bytes[pos + 1] !== 10) {
            plain = false;
            pos++;
            continue;
          }
          pos++;
        }
        if (column < recorded) {
          cellStart[column] = start;
          cellEnd[column] = end;
          cellValue[column] =
            plain && digits > 0
              ? decimalValue(mantissa, dotAt < 0 ? 0 : digits - dotAt, negative)
              : Number.NaN;
        }
        column++;
        if (c !== delimiter) {
          this.cells = column;
          this.end = end;
          this.quoted = quoted;
          return pos + 1;
        }
        start = pos + 1;
        mantissa = 0;
        digits = 0;
        dotAt = -1;
        negative = false;
        plain = true;
      } else if (c === 46 && dotAt < 0) {
        dotAt = digits;
      } else if ((c === 45 || c === 43) && pos === start) {
        negative = c === 45;
      } else {
        plain = false;
        if (c === 34) quoted = true;
      }
      pos++;
    }
  }
}
