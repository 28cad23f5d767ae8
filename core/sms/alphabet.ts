// 23.038 6.2.1: the GSM 7-bit default alphabet, its extension table (6.2.1.1) and the national
// language locking-shift (A.3) and single-shift (A.2) tables. A table is 128 UTF-16 code units
// indexed by septet; U+FFFF marks the escape position 0x1B (and unassigned shift positions).

const ESC = '\uffff';

/** 6.2.1 default alphabet, row by row (0x00-0x7F). */
export const DEFAULT_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ' + ESC + 'ÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** A.3.1 Turkish locking shift: the default table with ĞğŞşİçı€ in place of Øø Ææ ¡¿ ì è. */
const TURKISH_LOCKING =
  '@£$¥€éùıòÇ\nĞğ\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ' + ESC + 'ŞşßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  'İABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  'çabcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** A.3.3 Portuguese locking shift. */
const PORTUGUESE_LOCKING =
  '@£$¥êéúíóç\nÔô\rÁá' +
  'Δ_ªÇÀ∞^\\€Ó|' + ESC + 'ÂâÊÉ' +
  ' !"#º%&\'()*+,-./' +
  '0123456789:;<=>?' +
  'ÍABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÃÕÚÜ§' +
  '~abcdefghijklmno' +
  'pqrstuvwxyzãõ`üà';

/**
 * A.3.6 Hindi locking shift (the Indian tables share this structure: LF at 0x0A, CR at 0x0D, ESC at
 * 0x1B, space/!/digits/punctuation at their default positions, a-z at 0x61-0x7A, the script's letters
 * and signs elsewhere). Positions the spec leaves unassigned hold U+FFFF and decode as a space.
 */
const HINDI_LOCKING = String.fromCharCode(
  0x901, 0x902, 0x903, 0x905, 0x906, 0x907, 0x908, 0x909, 0x90a, 0x90b, 0x0a, 0x90c, 0x90d, 0x0d, 0x90e, 0x90f,
  0x910, 0x911, 0x912, 0x913, 0x914, 0x915, 0x916, 0x917, 0x918, 0x919, 0x91a, 0xffff, 0x91b, 0x91c, 0x91d, 0x91e,
  0x20, 0x21, 0x91f, 0x920, 0x921, 0x922, 0x923, 0x924, 0x29, 0x28, 0x925, 0x926, 0x2c, 0x927, 0x2e, 0x928,
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x929, 0x92a, 0x92b, 0x3f,
  0x92c, 0x92d, 0x92e, 0x92f, 0x930, 0x931, 0x932, 0x933, 0x934, 0x935, 0x936, 0x937, 0x938, 0x939, 0x93c, 0x93d,
  0x93e, 0x93f, 0x940, 0x941, 0x942, 0x943, 0x944, 0x945, 0x946, 0x947, 0x948, 0x949, 0x94a, 0x94b, 0x94c, 0x94d,
  0x950, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
  0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x972, 0x97b, 0x97c, 0x97e, 0x97f,
);

type Sparse = Record<number, string>;

/** 6.2.1.1 extension table: the characters every single-shift table also carries. */
const EXTENSION: Sparse = {
  0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€',
};

/** A.2.1 Turkish single shift. */
const TURKISH_SINGLE: Sparse = { ...EXTENSION, 0x47: 'Ğ', 0x49: 'İ', 0x53: 'Ş', 0x63: 'ç', 0x67: 'ğ', 0x69: 'ı', 0x73: 'ş' };

/** A.2.2 Spanish single shift. */
const SPANISH_SINGLE: Sparse = {
  ...EXTENSION, 0x09: 'ç', 0x41: 'Á', 0x49: 'Í', 0x4f: 'Ó', 0x55: 'Ú', 0x61: 'á', 0x69: 'í', 0x6f: 'ó', 0x75: 'ú',
};

/** A.2.3 Portuguese single shift. */
const PORTUGUESE_SINGLE: Sparse = {
  ...EXTENSION, 0x05: 'ê', 0x09: 'ç', 0x0b: 'Ô', 0x0c: 'ô', 0x0e: 'Á', 0x0f: 'á', 0x12: 'Φ', 0x13: 'Γ', 0x15: 'Ω',
  0x16: 'Π', 0x17: 'Ψ', 0x18: 'Σ', 0x19: 'Θ', 0x1f: 'Ê', 0x41: 'À', 0x49: 'Í', 0x4f: 'Ó', 0x55: 'Ú', 0x5b: 'Ã',
  0x5c: 'Õ', 0x61: 'Â', 0x69: 'í', 0x6f: 'ó', 0x75: 'ú', 0x7b: 'ã', 0x7c: 'õ', 0x7d: 'â',
};

function sparseToTable(sparse: Sparse): string {
  const codes = new Array<number>(128).fill(0xffff);
  for (const key of Object.keys(sparse)) codes[Number(key)] = sparse[Number(key)]!.charCodeAt(0);
  return String.fromCharCode(...codes);
}

/** Locking-shift tables by national language identifier (23.038 6.2.1.2.4); absent ids use the default. */
export const LOCKING_TABLES: ReadonlyMap<number, string> = new Map([
  [0, DEFAULT_TABLE], [1, TURKISH_LOCKING], [3, PORTUGUESE_LOCKING], [6, HINDI_LOCKING],
]);

/** Single-shift tables by national language identifier; absent ids use the default extension table. */
export const SINGLE_TABLES: ReadonlyMap<number, string> = new Map([
  [0, sparseToTable(EXTENSION)], [1, sparseToTable(TURKISH_SINGLE)], [2, sparseToTable(SPANISH_SINGLE)],
  [3, sparseToTable(PORTUGUESE_SINGLE)],
]);

/** The national language identifiers of 23.038 6.2.1.2.4, for display. */
export const LANGUAGES: readonly string[] = [
  'default', 'turkish', 'spanish', 'portuguese', 'bengali', 'gujarati', 'hindi', 'kannada', 'malayalam', 'oriya',
  'punjabi', 'tamil', 'telugu', 'urdu',
];
