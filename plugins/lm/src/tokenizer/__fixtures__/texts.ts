/**
 * A varied text set for tokenizer parity tests: prose, contractions in both cases, accents (composed
 * and decomposed), CJK and other scripts, emoji (modifiers, ZWJ sequences, flags), code, runs of
 * spaces / tabs / newlines, long numbers, special-token strings, and Unicode white space.
 */
export const PROSE = [
  'The quick brown fox jumps over the lazy dog.',
  'Hello world',
  'Hello, world!',
  "It's a nice day, isn't it? I'd say we'll go; they've said you're late and I'm sorry.",
  "IT'S LOUD. WE'LL SEE. THEY'VE GONE. YOU'RE RIGHT. I'M HERE. SHE'D KNOW. HE'S OK.",
  "rock 'n' roll, 'quoted', the dogs' bowls, o'clock, 'tis",
  'lol omg thats sooo funny!!! :) cant wait 4 tmrw, u coming??? ...',
  'Prices rose 3.5% in 1961 to $1,234.56 — a record; “said” the report… (see p. 12)',
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  'Visit https://example.com/path?query=1&b=two#frag or mail me at someone@example.org.',
];

export const UNICODE = [
  'Ça va? Über naïve résumé façade coöperate Ångström smörgåsbord.',
  'Cafe\u0301 and cafe\u0301s: decomposed accents (e + combining acute).',
  '日本語のテキストです。東京は大きい都市です。',
  '中文文本，测试一下分词器。你好，世界！',
  '한국어 텍스트입니다. 안녕하세요 세계',
  'Ελληνικά κείμενα. Русский текст с ёлкой. Українська мова.',
  'العربية نص قصير. עברית טקסט קצר.',
  'हिन्दी पाठ। ภาษาไทย ข้อความ',
  'Math: ∑ x² + √y ≤ ∞, α β γ δ, ½ ¾ ⅓, x₁ + x₂ = 10³',
  'Emoji 😀😀 🎉🎉 👍🏽 ok.',
  'Family 👨‍👩‍👧‍👦 and 👩🏽‍💻 coder, ❤️ heart, 🏳️‍🌈 flag.',
  'Flags 🇫🇷🇩🇪🇯🇵 and keycaps 1️⃣ #️⃣.',
  'zero\u200Bwidth\u200Bspace, non\u00A0breaking\u00A0space, ideographic\u3000space',
  'em\u2003space thin\u2009space narrow\u202Fnbsp line\u2028separator para\u2029separator',
];

export const CODE = [
  'function f(x) { return x * 2; }\n\tif (a <= b) {\n\t\treturn;\n\t}\n',
  "def foo(bar):\n    return {'a': [1, 2, 3], \"b\": None}\n\n\nclass A:\n    pass\n",
  '#include <stdio.h>\nint main(void) {\n    printf("%d\\n", 42);\n    return 0;\n}\n',
  'const re = /^[a-z]+$/gi; x => x?.y ?? z; a !== b && c >= d || e <<= 2;',
  '<div class="x"><p>Hi &amp; bye</p></div>\n<!-- comment -->',
  'SELECT * FROM users WHERE id = 1234 AND name LIKE \'%ann%\';',
];

export const WHITESPACE = [
  'a  b   c    d     e',
  '\t\t\tx\t\ty\tz',
  '\n\n\n',
  'line one\nline two\r\nline three\rline four',
  'trailing spaces   ',
  '   leading spaces',
  ' \n \n  \n\t\n',
  'para one.\n\n\n\n   para two.   \n\n',
  '                                        (forty spaces before)',
  'x \t \t y',
];

export const NUMBERS = [
  '1234567890123456789012345678901234567890',
  '3.14159265358979 2.71828 -0.0001 1e-10 6.022e23',
  '1,000,000 and 12,345,678.90 and 007 and 00000',
  'On 2024-01-15 at 12:34:56, version 1.2.3 build 45678.',
  '１２３ full-width digits, ٣٤٥ Arabic-Indic, ५६७ Devanagari',
];

/** Special-token strings of GPT-2, Llama-3 and Qwen: each tokenizer turns its own into one id and spells the others. */
export const SPECIAL = [
  '<|endoftext|>',
  'end of one<|endoftext|>start of two <|endoftext|> ',
  '<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  'almost special: <|endoftext| and <|im_start and <|eot_id>',
  '<think>\nreasoning\n</think>\n\nanswer',
];

/** Characters where JavaScript's `\s` and the Unicode White_Space property (Rust's `\s`) disagree. */
export const WHITESPACE_EDGE = [
  'next\u0085line after NEL',
  ' \u0085x and \u0085\u0085 y',
  'bom\uFEFFinside and \uFEFF at start',
  ' \uFEFFx',
];

export const ALL_TEXTS = [...PROSE, ...UNICODE, ...CODE, ...WHITESPACE, ...NUMBERS, ...SPECIAL, ...WHITESPACE_EDGE];

/** `n` seeded random strings over an alphabet of letters, digits, punctuation, white space, accents, CJK and emoji. */
export function randomTexts(n: number, seed: number): string[] {
  const chars = Array.from("abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789 .,;:!?'\"-()[]{}<>|_\n\t  éüßñçÅ日本語中文한😀👍🏽\u200D€$%&*/\\");
  let s = seed >>> 0;
  const next = (): number => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let t = '';
    const len = 1 + (next() % 60);
    for (let j = 0; j < len; j++) t += chars[next() % chars.length];
    out.push(t);
  }
  return out;
}
