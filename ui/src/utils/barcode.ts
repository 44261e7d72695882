/** Scanner input helpers: full-width digits (IME) → ASCII, GS1 check digits (mirrors the API). */

/** "６９０１２３" → "690123"; trims spaces and the CR/LF/Tab a scanner may append. */
export function normalizeCode(raw: string): string {
  return raw
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/[\s\r\n\t]+/g, '');
}

/** GS1 check digit of the digits before it (EAN-8, UPC-A, EAN-13, GTIN-14). */
export function gs1CheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const d = body.charCodeAt(body.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * null when the code looks fine; otherwise a zh-CN reason. All-digit codes of GTIN length
 * (8, 12, 13, 14) must carry a valid check digit; other codes are internal codes (letters, digits, -).
 */
export function barcodeProblem(code: string): string | null {
  if (!code) return '请输入条码';
  if (/^\d+$/.test(code)) {
    if ([8, 12, 13, 14].includes(code.length)) {
      const want = gs1CheckDigit(code.slice(0, -1));
      if (Number(code[code.length - 1]) !== want) return `条码校验位错误（应为 ${want}）`;
    }
    return null;
  }
  if (!/^[A-Za-z0-9-]{1,32}$/.test(code)) return '条码只能包含字母、数字和 -';
  return null;
}
